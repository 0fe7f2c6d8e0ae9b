import ArgumentParser
import Glibc
import MailslotEngine

/// `mailslot relay`: the host's datagram service and nothing else.
struct Relay: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run this host's NetBIOS datagram service: deliver mailslot writes from other computers to local mailslots.",
        discussion: "Owns the UDP port (138 by default; needs root or CAP_NET_BIND_SERVICE below 1024). Prints 'ready relay <computer> <domain> udp <port>' to stderr, runs until SIGINT/SIGTERM, then prints its counters."
    )

    @OptionGroup var network: NetworkOptions

    func run() throws {
        try reportingFailures {
            let configuration = try network.configuration()
            let engine = try MailslotEngine()
            try engine.startDatagramService(configuration)
            printError("ready relay \(configuration.computerName) \(configuration.domain) udp \(engine.datagramPort ?? configuration.udpPort)")
            engine.onSignals([SIGINT, SIGTERM]) { _ in engine.stop() }
            engine.run()
            engine.stopDatagramService()
            printError(DatagramSummary.line(engine.datagramStatistics ?? DatagramStatistics()))
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
