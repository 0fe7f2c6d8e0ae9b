import ArgumentParser
import Glibc
import MailslotLoadTest

/// Set by SIGINT/SIGTERM while a lab runs: the lab then tears down and exits.
nonisolated(unsafe) private var labInterrupted: sig_atomic_t = 0

/// `mailslot loadtest lab`: a lab of namespace hosts, an agent in each, and a run.
struct LoadLabCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lab",
        abstract: "Build N hosts as network namespaces on a bridge, start an agent in each, run the coordinator in a namespace of its own, then tear everything down.",
        discussion: "Needs root. Tears down on exit, on Ctrl-C and SIGTERM; a lab left by a crash is removed by the next one. Takes every option of 'loadtest run'."
    )

    @Option(help: "How many receiving hosts.")
    var hosts: Int

    @OptionGroup var load: LoadRunOptionGroup

    @Option(help: "The lab's domain name.")
    var domain: String = "LAB"

    @Flag(help: "Keep each agent's output in the working folder (loadtest-lab-agent-N.log) instead of discarding it.")
    var keepLogs = false

    @Option(help: "After the run, send iperf2 UDP datagrams of the same size at these rates (e.g. 1000,4000,16000) to an iperf2 server on every host (a multicast group: iperf2 cannot send broadcasts), and show its per-host loss beside the load test's.")
    var iperf: String?

    @Option(help: "Each agent's socket receive buffer, in bytes (default: the engine's 4 MiB): small buffers make hosts that lose under bursts.")
    var receiveBuffer: Int?

    func run() throws {
        if let reason = NamespaceLab.unavailableReason {
            printError("loadtest lab: \(reason)")
            throw ExitCode(1)
        }
        let iperfRates = try iperf.map { text in
            try text.split(separator: ",").map {
                guard let rate = Int($0), rate > 0 else { throw ValidationError("--iperf takes rates such as 1000,4000,16000") }
                return rate
            }
        }
        let duration = try LoadRunOptionGroup.seconds(load.duration)
        var session = LabSession(hosts: hosts, executable: LabSession.currentExecutable)
        session.domain = domain
        session.keepLogs = keepLogs
        session.receiveBuffer = receiveBuffer
        session.runArguments = load.forwarded
        session.jsonPath = load.json
        signal(SIGINT) { _ in labInterrupted = 1 }
        signal(SIGTERM) { _ in labInterrupted = 1 }
        let outcome: LabSession.Outcome
        do {
            outcome = try session.run(
                iperf: iperfRates.map { ($0, load.payload, duration) }, interrupted: { labInterrupted != 0 },
                note: printError, table: { print($0) })
        } catch {
            printError("loadtest lab: \(error)")
            throw ExitCode(1)
        }
        switch outcome {
        case .interrupted: throw ExitCode(130)
        case .finished(let status): if status != 0 { throw ExitCode(status) }
        }
    }
}
