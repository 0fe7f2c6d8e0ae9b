import ArgumentParser
import Glibc
import MailslotEngine
import MailslotLoadTest
import Prometheus

/// `mailslot loadtest`: how many domain broadcasts per second the hosts of a domain absorb.
struct LoadTest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loadtest",
        abstract: "Load-test domain broadcasts: agents on the receiving hosts, a coordinator that sweeps the rate, a lab of namespace hosts.",
        subcommands: [LoadAgentCommand.self, LoadRunCommand.self, LoadLabCommand.self]
    )
}

/// `mailslot loadtest agent`: the receiving side, one per host.
struct LoadAgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Serve \\\\.\\mailslot\\loadtest through this host's datagram service, count what arrives, and report each step to the coordinator.",
        discussion: "Prints 'ready agent <computer name>' on stderr; runs until SIGINT/SIGTERM. Idle, it sleeps."
    )

    @OptionGroup var network: NetworkOptions
    @OptionGroup var service: ServiceOptions

    @Flag(help: "Leave the datagram service to a 'mailslot relay' running on this host.")
    var viaRelay = false

    @Option(help: "The datagram service's socket receive buffer, in bytes (default 4 MiB).")
    var receiveBuffer: Int?

    func run() async throws {
        let registry = service.metrics == nil ? nil : PrometheusCollectorRegistry()
        let viaRelay = self.viaRelay
        try await reportingFailures {
            var configuration = try network.configuration()
            if network.udpPort == nil { configuration.udpPort = 138 }
            if let receiveBuffer { configuration.receiveBufferBytes = receiveBuffer }
            // A UDP socket from systemd (socket activation), when the agent runs its own service.
            if !viaRelay, let socket = SocketActivation.takeDatagramSocket() { configuration.inheritedSocket = socket }
            let network = configuration
            let mailslots = try service.makeEngine(registry: registry)
            let outcome = ServiceOutcome()
            let name = try await mailslots.engine.run { engine in
                Result { () throws(MailslotError) -> String in
                    let agent = try LoadAgent(engine: engine, network: network, startService: !viaRelay)
                    engine.onThreadEnd {
                        let statistics = agent.statistics
                        outcome.summary = "agent: \(statistics.received) messages received, \(statistics.drops.total) dropped (\(statistics.drops.summary)); \(agent.reportFailures) reports not sent"
                    }
                    return agent.hostName
                }
            }.get()
            try await service.run(mailslots, registry: registry, readyLine: "ready agent \(name)", outcome: outcome)
        }
    }
}

/// The options of a run, shared by `run` and `lab`.
struct LoadRunOptionGroup: ParsableArguments {
    @Option(help: "Offered rates to step through, messages per second (e.g. 1000,5000,20000).")
    var rates: String?

    @Option(help: "'auto': search for the knee (double from --sweep-start until a step loses more than --threshold, then bisect).")
    var sweep: String?

    @Option(help: "Where an automatic sweep starts, messages per second.")
    var sweepStart: Int = 1000

    @Option(help: "The highest rate an automatic sweep tries.")
    var sweepMaximum: Int = 1_000_000

    @Option(help: "How long each step sends: seconds, or with a unit (500ms, 5s).")
    var duration: String = "5s"

    @Option(help: "Bytes per message (28 to 424).")
    var payload: Int = 424

    @Option(help: "The loss, in percent, a step may have on every host and still pass.")
    var threshold: Double = 0.1

    @Option(help: "Write every figure, per step and per host, as JSON to this file.")
    var json: String?

    @Option(help: "Write a self-contained HTML report (four plots and the table) to this file.")
    var report: String?

    /// The options as the coordinator takes them.
    func options(network: NetworkConfiguration) throws -> LoadRunOptions {
        var options = LoadRunOptions(network: network)
        if let sweep {
            guard sweep == "auto" else { throw ValidationError("--sweep takes 'auto'") }
            options.sweep = true
        } else if let rates {
            options.rates = try rates.split(separator: ",").map {
                guard let rate = Int($0.trimmingPrefix(" ")), rate > 0 else { throw ValidationError("--rates takes positive numbers, not '\($0)'") }
                return rate
            }
        } else {
            throw ValidationError("give --rates R1,R2,… or --sweep auto")
        }
        options.sweepStart = sweepStart
        options.sweepMaximum = sweepMaximum
        options.duration = try Self.seconds(duration)
        options.payload = payload
        options.lossThresholdPercent = threshold
        return options
    }

    /// The arguments that give these options to a `loadtest run` (the lab's coordinator).
    var forwarded: [String] {
        var arguments: [String] = []
        if let rates { arguments += ["--rates", rates] }
        if let sweep { arguments += ["--sweep", sweep] }
        arguments += ["--sweep-start", "\(sweepStart)", "--sweep-maximum", "\(sweepMaximum)", "--duration", duration]
        arguments += ["--payload", "\(payload)", "--threshold", "\(threshold)"]
        if let json { arguments += ["--json", json] }
        if let report { arguments += ["--report", report] }
        return arguments
    }

    static func seconds(_ text: String) throws -> Double {
        let value: Double?
        if text.hasSuffix("ms") { value = Double(text.dropLast(2)).map { $0 / 1000 } }
        else if text.hasSuffix("s") { value = Double(text.dropLast()) }
        else { value = Double(text) }
        guard let value, value > 0 else { throw ValidationError("--duration takes a time such as 5s or 500ms, not '\(text)'") }
        return value
    }
}
