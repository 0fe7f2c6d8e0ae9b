import ArgumentParser
import Glibc
import MailslotEngine
import MailslotLoadTest

/// `mailslot loadtest run`: the coordinator.
struct LoadRunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Send paced DIRECT_GROUP broadcasts to \\\\DOMAIN\\mailslot\\loadtest step by step, collect every agent's report, and print a table (stdout) with progress (stderr).",
        discussion: "Owns UDP 138 (or --udp-port) to receive reports; agents answer to it. Exits 0 when the run finished (whatever it found), 1 when it could not run."
    )

    @OptionGroup var network: NetworkOptions
    @OptionGroup var load: LoadRunOptionGroup

    @Option(help: "Hosts expected: discovery waits for this many, and the table names those missing.")
    var expect: Int?

    @Option(help: ArgumentHelp("Seconds discovery may take (the lab raises it for many hosts).", visibility: .hidden))
    var discoveryTimeout: Double = 2

    @Flag(help: "The agents share this machine's clock (a lab, or one host): latency needs no clock synchronization.")
    var oneClock = false

    func run() throws {
        try reportingFailures {
            var configuration = try network.configuration()
            if network.udpPort == nil { configuration.udpPort = 138 }
            var options = try load.options(network: configuration)
            options.expectedHosts = expect
            options.discoveryTimeout = discoveryTimeout
            let coordinator = try LoadCoordinator(options: options)
            let progress = ProgressLine()
            var result = try coordinator.runAll { event in progress.show(event, threshold: options.lossThresholdPercent) }
            result.latencyNeedsSynchronizedClocks = !oneClock
            progress.end()
            print(ResultTable.render(result))
            if let expect, result.hosts.count < expect {
                printError("loadtest: \(result.hosts.count) of \(expect) expected hosts answered discovery")
            }
            if let path = load.json { try write(try result.json(), to: path) }
            if let path = load.report { try write(Array(HTMLReport.render(result).utf8), to: path) }
        }
    }

    private func write(_ bytes: [UInt8], to path: String) throws {
        guard let file = fopen(path, "w") else { throw ValidationError("cannot write \(path): errno \(errno)") }
        defer { fclose(file) }
        guard fwrite(bytes, 1, bytes.count, file) == bytes.count else { throw ValidationError("cannot write \(path)") }
    }
}

/// Live progress on stderr: one status line that rewrites itself on a terminal, plain lines
/// otherwise.
final class ProgressLine {
    private let terminal = isatty(2) != 0
    private var open = false

    func show(_ event: LoadCoordinator.Progress, threshold: Double) {
        switch event {
        case .discovered(let hosts):
            line("discovered \(hosts.count) hosts", final: true)
        case .sending(let step, let rate, let sent, let elapsed):
            if terminal { line("step \(step): offering \(rate)/s, \(sent) sent in \(Int(elapsed)) s", final: false) }
        case .finished(let step):
            let delivered = step.delivered
            let slowest = step.slowestHost.map { " slowest \($0.host) (\(ResultTable.format($0.reported ? $0.lossPercent : 100, 3))%)" } ?? ""
            let verdict = step.passes(thresholdPercent: threshold) ? "pass" : "FAIL"
            line(
                "step \(step.step): offered \(step.offeredRate)/s, delivered \(Int(delivered.median))/s per host (median), loss \(ResultTable.format(step.worstLossPercent, 3))%\(slowest): \(verdict)",
                final: true)
        }
    }

    func end() {
        if open { printError("") }
        open = false
    }

    private func line(_ text: String, final: Bool) {
        if terminal {
            writeToStandardError("\r\u{1B}[K" + text + (final ? "\n" : ""))
            open = !final
        } else {
            printError(text)
        }
    }
}
