import ArgumentParser
import CBaselines
import Glibc

/// `mailslot-bench check-baselines`: runs the like-for-like C baselines briefly, with real
/// writer processes, and checks their own counts. A baseline that lost or reordered messages
/// would make every ratio against it meaningless. The test command runs it.
struct CheckBaselinesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-baselines",
        abstract: "Check that the like-for-like C baselines count exactly: every message sent received once, in order.",
        discussion: """
            c-shm-mpsc with 1 and 8 blocking writers (no refusals possible), and c-msmail over 1,000 \
            mailslots at a rate its socket holds. Exits 1 when a count is off.
            """
    )

    @Option(help: "Seconds each check writes.")
    var seconds = 0.5

    func run() throws {
        signal(SIGPIPE, SIG_IGN)
        let queues = KernelQueues(requested: 0)
        let tally = Tally(latencyCapacity: 1_000_000)
        var checks: [(String, Trial)] = []
        for writers in [1, 8] {
            checks.append(("c-shm-mpsc, \(writers) writer(s)", Trial(transport: .cSharedMPSC, payload: 424, mailslots: 1, writers: writers, seconds: seconds)))
        }
        var udp = Trial(transport: .cMSMail, payload: 424, mailslots: 1000, writers: 1, seconds: seconds)
        udp.offeredRate = 50_000
        udp.receiveBufferBytes = 64 << 20
        checks.append(("c-msmail, 1000 mailslots", udp))
        var failed = false
        for (index, (label, trial)) in checks.enumerated() {
            let outcome = try trial.run(tally: tally, serial: index + 1, queues: queues)
            let sent = outcome.attempted - outcome.writeErrors
            let exact = outcome.attempted > 0 && outcome.delivered == sent && outcome.countedDrops == 0 && outcome.outOfOrder == 0
            print("\(label): sent \(sent), received \(outcome.delivered), dropped \(outcome.countedDrops), out of order \(outcome.outOfOrder)\(exact ? "" : ": NOT EXACT")")
            failed = failed || !exact
        }
        if failed { throw ExitCode(1) }
    }
}
