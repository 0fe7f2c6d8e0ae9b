import ArgumentParser
import Foundation
import CBaselines
import Glibc

/// The benchmark proper: runs the scenarios, prints the table, optionally writes JSON.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the scenarios and print the table (the default subcommand).",
        discussion: """
            Scenarios: a = 1 writer → 1 mailslot (64/424/1400 B); b = 8 writers → 1 mailslot; \
            c = 2 writers over 1/100/1000/10000 mailslots; d = offered-rate sweep (loss under load); \
            e = RSS per idle mailslot (10k, 100k); f = UDP ingest of MS-MAIL datagrams over 1/1000/10000 \
            mailslots; g = a domain broadcast fanned out to 3 hosts (network namespaces; needs root); soak = 4 writers \
            at twice the measured knee for --soak-seconds, RSS sampled every second, exact accounting checked (not in \
            the default set; exits 1 when it fails). Baselines, measured in the same run: a C AF_UNIX datagram pair and a C POSIX \
            message-queue pair (a-d), C shared-memory rings (c-shm-mpsc: many writers, checked, sleeping reader; c-shm-ring: one \
            producer, busy-polled) beside the shared-memory rows, C MS-MAIL receiving (c-msmail), a bare C recvmmsg receiver and a \
            SwiftNIO DatagramChannel receiver (f), C recvmmsg receivers (g). --report FILE.html draws the run: plots, the \
            headline targets met or not, the machine. Progress goes to stderr.
            """)

    enum ProfileName: String, ExpressibleByArgument, CaseIterable { case quick, full }

    @Option(help: "quick (about a minute) or full (several minutes, 3 repetitions, medians).")
    var profile: ProfileName = .quick
    @Option(help: "Scenarios to run, e.g. a,b,d.")
    var scenarios = "a,b,c,d,e,f,g"
    @Option(help: "Write every row as JSON to this file.")
    var json: String?
    @Option(help: "Seconds each trial writes (overrides the profile).")
    var seconds: Double?
    @Option(help: "Repetitions per figure (overrides the profile).")
    var repetitions: Int?
    @Option(help: "Kernel queue depth for the receivers (AF_UNIX and POSIX mq alike); needs root, 0 keeps the system's.")
    var kernelQueue = 1024
    @Option(help: "How long the soak scenario runs, in seconds.")
    var soakSeconds: Double = 600
    @Option(help: "Writer processes in the soak scenario.")
    var soakWriters = 4
    @Option(help: "Compare each row with this saved --json run: the change of its ratio, flagged where it exceeds both runs' spread across repetitions (3 or more each).")
    var compare: String?
    @Option(help: "Take the rows from this saved --json run instead of running (with --compare or --report).")
    var from: String?
    @Option(help: "Write the run as a self-contained HTML report with plots (no script, no network) to this file.")
    var report: String?
    @Option(help: "With --compare: exit 1 when a row's ratio fell by more than this many percent, beyond the spread.")
    var failOnRegression: Double?

    func validate() throws {
        let known: Set<String> = ["a", "b", "c", "d", "e", "f", "g", "soak"]
        for name in scenarioSet where !known.contains(name) { throw ValidationError("unknown scenario \(name)") }
        if let seconds, !(seconds > 0 && seconds <= 600) { throw ValidationError("--seconds must be in (0, 600]") }
        if let repetitions, !(1...50).contains(repetitions) { throw ValidationError("--repetitions must be 1…50") }
        if !(0...65536).contains(kernelQueue) { throw ValidationError("--kernel-queue must be 0…65536") }
        if !(soakSeconds >= 10 && soakSeconds <= 86_400) { throw ValidationError("--soak-seconds must be 10…86400") }
        if !(1...32).contains(soakWriters) { throw ValidationError("--soak-writers must be 1…32") }
        if from != nil && compare == nil && report == nil { throw ValidationError("--from takes its rows to --compare or --report: give one") }
        if failOnRegression != nil && compare == nil { throw ValidationError("--fail-on-regression needs --compare") }
        if let failOnRegression, !(failOnRegression > 0 && failOnRegression < 100) { throw ValidationError("--fail-on-regression takes a percentage in (0, 100)") }
    }

    /// `--compare` and `--report` for `rows` (this run's, or `--from`'s): prints the comparison,
    /// writes the report (with the comparison in it); with `--fail-on-regression`, exit 1 on a
    /// regression, after both.
    private func finish(_ rows: [[String: Any]]) throws {
        let comparison = try compare.map { Comparison(old: try Comparison.rows(at: $0), new: rows) }
        if let comparison {
            print(comparison.render(), terminator: "")
            fflush(nil)
        }
        if let report {
            let page = BenchReport(rows: ReportRow.rows(rows), comparison: comparison).render()
            guard let file = fopen(report, "w") else { throw BenchError.system("fopen \(report)", errno) }
            fputs(page, file)
            fclose(file)
            stderr("report: \(report)\n")
        }
        if let comparison, let limit = failOnRegression {
            let regressions = comparison.regressions(over: limit)
            if !regressions.isEmpty {
                stderr("compare: \(regressions.count) row(s) slower by more than \(Table.fixed(limit, 1))% beyond the spread\n")
                throw ExitCode(1)
            }
        }
    }

    private var scenarioSet: Set<String> { Set(scenarios.split(separator: ",").map { String($0).lowercased() }) }

    func run() throws {
        if let from { return try finish(try Comparison.rows(at: from)) }
        var settings = profile == .full ? Profile.full : Profile.quick
        if let seconds { settings.seconds = seconds }
        if let repetitions { settings.repetitions = repetitions }
        signal(SIGPIPE, SIG_IGN)
        let cpus = sysconf(Int32(_SC_NPROCESSORS_ONLN))
        if cpus > 1 { _ = cb_pin_cpu(1) }  // receivers on CPU 1, writers on CPU 0
        let queues = KernelQueues(requested: kernelQueue)
        let facts = MachineFacts.summary(profile: profile.rawValue, settings: settings) + queues.summary + "\n"
        let machine = MachineFacts.machine() + "; " + queues.summary
        let profileText = "\(profile.rawValue) (\(settings.seconds) s per trial, \(settings.repetitions) repetition(s), median)"
        stderr(facts)
        let runner = ScenarioRunner(profile: settings, scenarios: scenarioSet, queues: queues)
        let start = cb_now_ns()
        if scenarioSet.contains("a") { try runner.localOneToOne() }
        if scenarioSet.contains("b") { try runner.eightWriters() }
        if scenarioSet.contains("c") { try runner.fanOut() }
        if scenarioSet.contains("d") { try runner.rateSweep() }
        if scenarioSet.contains("e") { try runner.memory() }
        if scenarioSet.contains("f") { try runner.udpIngest() }
        if scenarioSet.contains("g") {
            #if LabScenario
            try runner.broadcastFanOut(receivers: 3)
            #else
            stderr("g: skipped: this mailslot-bench was built without the LabScenario trait\n")
            #endif
        }
        var soakPassed = true
        if scenarioSet.contains("soak") { soakPassed = try runner.soak(seconds: soakSeconds, writers: soakWriters) }
        print(facts, terminator: "")
        print(Table.render(runner.rows), terminator: "")
        print("ratio: ours ÷ baseline delivered/s (e: bytes per idle mailslot ÷ 2 KiB budget). unacct: sent − delivered − counted drops − write errors, summed over repetitions.")
        fflush(nil)
        stderr("done in \(Table.fixed(Double(cb_now_ns() - start) / 1e9, 1)) s\n")
        let text = runner.rows.json(profile: profileText, machine: machine)
        if let json {
            guard let file = fopen(json, "w") else { throw BenchError.system("fopen \(json)", errno) }
            fputs(text, file)
            fclose(file)
            stderr("wrote \(runner.rows.count) rows to \(json)\n")
        }
        if compare != nil || report != nil {
            // The report and the comparison read the rows as the JSON has them.
            let rows = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [[String: Any]] ?? []
            try finish(rows)
        }
        if !soakPassed {
            stderr("soak: FAILED (see the soak row)\n")
            throw ExitCode(1)
        }
    }
}
