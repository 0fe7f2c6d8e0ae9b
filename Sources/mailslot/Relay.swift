import ArgumentParser
import Glibc
import MailslotEngine
import Prometheus

/// `mailslot relay`: the host's datagram service and nothing else.
struct Relay: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run this host's NetBIOS datagram service: deliver mailslot writes from other computers to local mailslots.",
        discussion: "Owns the UDP port (138 by default; needs root or CAP_NET_BIND_SERVICE below 1024), or takes it from systemd (socket activation: a bound UDP socket passed as LISTEN_FDS, e.g. by mailslot-relay.socket). Under Type=notify it reports READY=1, STOPPING=1 and, with WatchdogSec=, WATCHDOG=1. Prints 'ready relay <computer> <domain> udp <port>' to stderr, runs until SIGINT/SIGTERM (which first relay what its socket already holds, for up to --drain-timeout), then prints its counters."
    )

    @OptionGroup var network: NetworkOptions

    @OptionGroup var service: ServiceOptions

    func run() async throws {
        let registry = service.metrics == nil ? nil : PrometheusCollectorRegistry()
        try await reportingFailures {
            var network = try network.configuration()
            // Under socket activation the service manager holds the port: no privilege needed.
            if let socket = SocketActivation.takeDatagramSocket() { network.inheritedSocket = socket }
            let configuration = network
            let mailslots = try service.makeEngine(registry: registry)
            let outcome = ServiceOutcome()
            let port = try await mailslots.engine.run { engine in
                Result { () throws(MailslotError) -> UInt16 in
                    try engine.startDatagramService(configuration)
                    engine.onThreadEnd {
                        engine.stopDatagramService()
                        outcome.summary = DatagramSummary.line(engine.datagramStatistics ?? DatagramStatistics())
                    }
                    return engine.datagramPort ?? configuration.udpPort
                }
            }.get()
            try await service.run(
                mailslots, registry: registry, readyLine: "ready relay \(configuration.computerName) \(configuration.domain) udp \(port)",
                outcome: outcome)
        }
    }
}

/// The datagram service's counters as one line.
enum DatagramSummary {
    static func line(_ stats: DatagramStatistics) -> String {
        let drops = stats.drops
        var line = "datagrams: \(stats.received) received, \(stats.delivered) delivered, \(stats.relayed) relayed, \(drops.total) dropped (\(drops.summary))"
        if stats.receiveErrors > 0 { line += ", \(stats.receiveErrors) receive errors" }
        if stats.forwarded + stats.forwardFailed + stats.forwardRefused > 0 {
            line += "; outbox: \(stats.forwarded) sent from this port, \(stats.forwardFailed) failed, \(stats.forwardRefused) refused"
        }
        return line
    }
}
