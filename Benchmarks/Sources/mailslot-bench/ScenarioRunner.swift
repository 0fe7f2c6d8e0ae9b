import CBaselines
import Glibc

/// Runs the scenarios, interleaving ours and the baselines' trials (rep-major, so the
/// machine's drift spreads over all of them) and turning medians into rows.
final class ScenarioRunner {
    let profile: Profile
    let tally: Tally
    let queues: KernelQueues
    private(set) var rows: [ResultRow] = []
    private var done = 0
    var serial = 0
    private let planned: Int
    /// Scenario a's 424 B delivered rate: the "measured maximum" that scenario d sweeps around.
    private var maximumRate: Double?
    /// The same through the shared-memory ring: what d's shared-memory sweep is around.
    private var sharedMaximumRate: Double?

    init(profile: Profile, scenarios: Set<String>, queues: KernelQueues) {
        self.profile = profile
        self.queues = queues
        // Enough latency slots for the fastest transport (shared memory, several M msg/s).
        tally = Tally(latencyCapacity: min(Int(profile.seconds * 10e6) + 100_000, 32_000_000))
        let reps = profile.repetitions
        var count = 0
        if scenarios.contains("a") { count += 3 * 6 * reps + 2 * reps + 4 * reps }  // ours + 5 per payload, +2 at 424 B, library 4
        if scenarios.contains("b") { count += 5 * reps }
        if scenarios.contains("c") { count += profile.fanOut.count * 2 * reps }
        if scenarios.contains("d") { count += profile.sweep.count * 6 * reps + (scenarios.contains("a") ? 0 : 2 * reps) }
        if scenarios.contains("e") { count += profile.memory.count }
        if scenarios.contains("f") { count += profile.udpMailslots.count * 4 * reps * 2 }  // ours + 3, live and drain
        if scenarios.contains("g") { count += 2 * reps }
        if scenarios.contains("soak") { count += 1 + (scenarios.contains("a") || scenarios.contains("d") ? 0 : 1) }
        planned = count
    }

    // MARK: Scenarios

    /// a. local, 1 writer → 1 mailslot, 64 / 424 / 1400 B: by socket against the kernel's IPC,
    /// and through the shared-memory ring against the same and the plain C ring.
    func localOneToOne() throws(BenchError) {
        for payload in [64, 424, 1400] {
            let trial = Trial(transport: .mailslot, payload: payload, mailslots: 1, writers: 1, seconds: profile.seconds)
            // At 424 B also with an access list, and read through the async stream, each against
            // the same mailslot read by the loop callback.
            let others: [Transport] =
                [.cUnix, .posixMQ, .mailslotShared, .cSharedMPSC, .cSharedRing] + (payload == 424 ? [.mailslotAccessList, .mailslotStream] : [])
            let results = try measure("a", "\(payload) B", trial, against: others)
            if payload == 424 {
                maximumRate = results[trial.transport]?.median.deliveredPerSecond
                sharedMaximumRate = results[.mailslotShared]?.median.deliveredPerSecond
            }
            addRows("a", "\(payload) B, 1 writer", trial, results, baselines: [.cUnix, .posixMQ])
            addRows(
                "a", "\(payload) B, 1 writer, shared memory", trial.by(.mailslotShared), results,
                baselines: [.cSharedMPSC, .cSharedRing, .cUnix, .posixMQ])
            if payload == 424 {
                addRows("a", "424 B, 1 writer, access list", trial.by(.mailslotAccessList), results, baselines: [.mailslot])
                addRows("a", "424 B, 1 writer, async stream", trial.by(.mailslotStream), results, baselines: [.mailslot])
            }
        }
        try libraryRows()
    }

    /// a, the C library: 424 B one message per call, C `WriteFile` into C `ReadFile` and the
    /// native `msl_send` into `msl_recv`, each against the same transfer through the Swift API
    /// (`write` into a blocking `read(into:)`) and the C AF_UNIX pair. Target: ≥ 0.9× the
    /// Swift API both ways (docs/benchmarking.md).
    private func libraryRows() throws(BenchError) {
        let trial = Trial(transport: .mailslotRead, payload: 424, mailslots: 1, writers: 1, seconds: profile.seconds)
        let results = try measure("a", "424 B, one call per message", trial, against: [.cWin32, .cNative, .cUnix])
        addRows("a", "424 B, 1 writer, Swift API, one call per message", trial, results, baselines: [.cUnix])
        addRows("a", "424 B, 1 writer, C WriteFile/ReadFile", trial.by(.cWin32), results, baselines: [.mailslotRead, .cUnix])
        addRows("a", "424 B, 1 writer, C msl_send/msl_recv", trial.by(.cNative), results, baselines: [.mailslotRead, .cUnix])
    }

    /// b. 8 writer processes → 1 mailslot, by socket and through the shared-memory ring (the C
    /// ring has one producer, so it has no row here).
    func eightWriters() throws(BenchError) {
        let trial = Trial(transport: .mailslot, payload: 424, mailslots: 1, writers: 8, seconds: profile.seconds)
        let results = try measure("b", "8 writers", trial, against: [.cUnix, .posixMQ, .mailslotShared, .cSharedMPSC])
        addRows("b", "424 B, 8 writers", trial, results, baselines: [.cUnix, .posixMQ])
        addRows("b", "424 B, 8 writers, shared memory", trial.by(.mailslotShared), results, baselines: [.cSharedMPSC, .cUnix, .posixMQ])
    }

    /// c. writers spread over 1 … 10,000 mailslots of one engine (the baseline: as many C
    /// sockets on one epoll).
    func fanOut() throws(BenchError) {
        var oneMailslot: Double?
        for count in profile.fanOut {
            let trial = Trial(transport: .mailslot, payload: 424, mailslots: count, writers: 2, seconds: profile.seconds)
            let results = try measure("c", "\(count) mailslots", trial, against: [.cUnix])
            let ours = results[.mailslot]?.median.deliveredPerSecond
            if count == 1 { oneMailslot = ours }
            addRows("c", "424 B, 2 writers over \(count)", trial, results, baselines: [.cUnix]) { row in
                if let ours, let oneMailslot, oneMailslot > 0 { row.ratioToOneMailslot = ours / oneMailslot }
            }
        }
    }

    /// Scenario a's 424 B delivered rate, measured now when a did not run: the knee that d and
    /// the soak offer multiples of.
    func measuredMaximum() throws(BenchError) -> Double {
        if maximumRate == nil {
            let probe = Trial(transport: .mailslot, payload: 424, mailslots: 1, writers: 1, seconds: profile.seconds)
            maximumRate = try measure("d", "maximum", probe, against: [])[.mailslot]?.median.deliveredPerSecond
        }
        guard let maximumRate, maximumRate > 0 else { throw .setup("no maximum rate measured") }
        return maximumRate
    }

    /// d. offered-rate sweep around the measured maximum: delivered rate, loss and latency.
    func rateSweep() throws(BenchError) {
        let maximumRate = try measuredMaximum()
        for fraction in profile.sweep {
            var trial = Trial(transport: .mailslot, payload: 424, mailslots: 1, writers: 1, seconds: profile.seconds)
            trial.offeredRate = maximumRate * fraction
            let label = "\(Int((fraction * 100).rounded()))% of max"
            let results = try measure("d", label, trial, against: [.cUnix, .posixMQ])
            addRows("d", "424 B at \(label)", trial, results, baselines: [.cUnix, .posixMQ]) { row in
                row.targetPerSecond = trial.offeredRate
            }
        }
        try sharedMemorySweep()
    }

    /// d, shared memory: the same sweep around the shared-memory maximum, with a sleeping and a
    /// spinning reader, against the plain C ring at the same offered rates.
    private func sharedMemorySweep() throws(BenchError) {
        if sharedMaximumRate == nil {
            let probe = Trial(transport: .mailslotShared, payload: 424, mailslots: 1, writers: 1, seconds: profile.seconds)
            sharedMaximumRate = try measure("d", "shared-memory maximum", probe, against: [])[.mailslotShared]?.median.deliveredPerSecond
        }
        guard let maximum = sharedMaximumRate, maximum > 0 else { throw .setup("no shared-memory maximum measured") }
        for fraction in profile.sweep {
            var trial = Trial(transport: .mailslotShared, payload: 424, mailslots: 1, writers: 1, seconds: profile.seconds)
            trial.offeredRate = maximum * fraction
            let label = "\(Int((fraction * 100).rounded()))% of shared max"
            let results = try measure("d", label, trial, against: [.mailslotSharedSpin, .cSharedRing])
            for ours in [Transport.mailslotShared, .mailslotSharedSpin] {
                let reader = ours == .mailslotShared ? "sleeping" : "spinning"
                addRows("d", "424 B at \(label), \(reader) reader", trial.by(ours), results, baselines: [.cSharedRing]) { row in
                    row.targetPerSecond = trial.offeredRate
                }
            }
        }
    }

    /// f. UDP ingest: a blaster (sendmmsg) sends 424 B MS-MAIL datagrams to the engine's datagram
    /// service, which spreads them over 1 … 10,000 mailslots; against a C recvmmsg receiver and a
    /// SwiftNIO DatagramChannel receiver on the same traffic.
    func udpIngest() throws(BenchError) {
        for count in profile.udpMailslots {
            let trial = Trial(transport: .mailslotUDP, payload: 424, mailslots: count, writers: 1, seconds: profile.seconds)
            let results = try measure("f", "UDP, \(count) mailslots", trial, against: [.cMSMail, .cRecvmmsg, .swiftNIO])
            addRows("f", "UDP 424 B over \(count)", trial, results, baselines: [.cMSMail, .cRecvmmsg, .swiftNIO]) { row in
                if let mine = row.receiverCPUMicroseconds, let theirs = row.baselineReceiverCPUMicroseconds {
                    row.note = "receiver CPU/msg \(Table.fixed(mine, 2)) µs vs \(Table.fixed(theirs, 2)) µs: \(Table.fixed(theirs / mine, 2))×"
                }
            }
        }
        // Receiver capacity: the blaster fills a deep receive buffer first, then each receiver
        // drains it as fast as it can (the sending core no longer sets the pace).
        for count in profile.udpMailslots {
            var trial = Trial(transport: .mailslotUDP, payload: 424, mailslots: count, writers: 1, seconds: 30)
            trial.drainMessages = profile.udpDrainMessages
            trial.receiveBufferBytes = 1 << 30
            let results = try measure("f", "UDP drain, \(count) mailslots", trial, against: [.cMSMail, .cRecvmmsg, .swiftNIO])
            addRows(
                "f", "UDP drain of \(profile.udpDrainMessages / 1000)k over \(count)", trial, results, baselines: [.cMSMail, .cRecvmmsg, .swiftNIO])
        }
    }

    /// e. RSS per idle mailslot, each count in a fresh process.
    func memory() throws(BenchError) {
        let budget = 2048.0
        for count in profile.memory {
            progress("e", "\(count) idle mailslots", "mailslot", 1, 1)
            var done: [Int32] = [0, 0]
            let piped = cb_pipe(&done)
        guard piped == 0 else { throw .system("pipe2", -piped) }
            let child = try ChildProcess(arguments: ["memory-probe", "--count", "\(count)"], holdOpen: done[1])
            close(done[1])
            close(done[0])
            let output = try child.finish()
            let fields = output.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
            let numbers = fields.prefix(5).compactMap { UInt64($0.split(separator: "\n").first ?? "") }
            guard numbers.count == 5 else { throw .setup("unexpected memory probe output: \(output)") }
            let created = Int(numbers[0])
            let perSlot = created > 0 ? Double(Int(numbers[2]) - Int(numbers[1])) / Double(created) : nil
            let slab = created > 0 ? Double(Int(numbers[4]) - Int(numbers[3])) / Double(created) : nil
            var row = ResultRow(
                scenario: "e", caseLabel: "\(count) idle mailslots", payloadBytes: 0, mailslots: count, writers: 0,
                rssBytes: Int(numbers[2]), baseline: "budget-2KiB", baselinePerSecond: budget,
                ratio: perSlot.map { $0 / budget })
            row.rssPerMailslot = perSlot
            row.kernelSlabPerMailslot = slab
            // Ends the progress line, as each trial's report does.
            stderr(perSlot.map { "\(Int($0)) B per mailslot\n" } ?? "no mailslot created\n")
            if created < count {
                let reason = fields.count > 5 ? String(fields[5]).split(separator: "\n").joined(separator: " ") : "unknown"
                row.note = "created \(created) of \(count): \(reason)"
            }
            rows.append(row)
        }
    }

    // MARK: Measuring

    struct Measured {
        var median: Trial.Outcome
        var unaccounted: Int64
        /// Every repetition's outcome, in order.
        var runs: [Trial.Outcome]
    }

    /// Runs `trial` for ours and each baseline, `repetitions` times, rep-major.
    private func measure(
        _ scenario: String, _ label: String, _ trial: Trial, against baselines: [Transport]
    ) throws(BenchError) -> [Transport: Measured] {
        var outcomes: [Transport: [Trial.Outcome]] = [:]
        let transports = [trial.transport] + baselines
        for rep in 1...profile.repetitions {
            for transport in transports {
                var run = trial
                run.transport = transport
                progress(scenario, label, transport.rawValue, rep, profile.repetitions)
                serial += 1
                let outcome = try run.run(tally: tally, serial: serial, queues: queues)
                outcomes[transport, default: []].append(outcome)
                report(outcome)
            }
        }
        return outcomes.mapValues { runs in
            let sorted = runs.sorted { $0.deliveredPerSecond < $1.deliveredPerSecond }
            return Measured(median: sorted[sorted.count / 2], unaccounted: runs.reduce(0) { $0 + abs($1.unaccounted) }, runs: runs)
        }
    }

    private func addRows(
        _ scenario: String, _ label: String, _ trial: Trial, _ results: [Transport: Measured], baselines: [Transport],
        adjust: (inout ResultRow) -> Void = { _ in }
    ) {
        guard let ours = results[trial.transport] else { return }
        for baseline in baselines {
            let theirs = results[baseline]?.median
            let o = ours.median
            var row = ResultRow(
                scenario: scenario, caseLabel: label, payloadBytes: trial.payload, mailslots: trial.mailslots,
                writers: trial.writers, offeredPerSecond: o.offeredPerSecond, deliveredPerSecond: o.deliveredPerSecond,
                lossPercent: o.lossPercent, p50: o.latency?.p50, p99: o.latency?.p99, p999: o.latency?.p999,
                rssBytes: o.rssGrowth, baseline: baseline.rawValue, baselinePerSecond: theirs?.deliveredPerSecond,
                ratio: theirs.flatMap { $0.deliveredPerSecond > 0 ? o.deliveredPerSecond / $0.deliveredPerSecond : nil })
            row.transport = trial.transport.rawValue
            row.takeCounts(of: o, unaccounted: ours.unaccounted)
            row.baselineLossPercent = theirs?.lossPercent
            row.baselineP99 = theirs?.latency?.p99
            row.repetitions = profile.repetitions
            if let theirs = results[baseline]?.runs {
                row.ratioReps = zip(ours.runs, theirs).compactMap { mine, other in
                    other.deliveredPerSecond > 0 ? mine.deliveredPerSecond / other.deliveredPerSecond : nil
                }
            }
            row.receiverCPUMicroseconds = o.receiverCPUPerMessage
            row.baselineReceiverCPUMicroseconds = theirs?.receiverCPUPerMessage
            if let mine = o.receiverCPUPerMessage, let other = theirs?.receiverCPUPerMessage, mine > 0 { row.cpuRatio = other / mine }
            adjust(&row)
            rows.append(row)
        }
    }

    // MARK: Progress on stderr

    /// Adds a row made elsewhere (scenario g).
    func append(_ row: ResultRow) { rows.append(row) }

    /// Progress for a trial run elsewhere (scenario g).
    func announce(_ scenario: String, _ label: String, _ transport: String, _ rep: Int) {
        progress(scenario, label, transport, rep, profile.repetitions)
    }

    private func progress(_ scenario: String, _ label: String, _ transport: String, _ rep: Int, _ reps: Int) {
        done += 1
        let repText = reps > 1 ? " rep \(rep)/\(reps)" : ""
        stderr("[\(done)/\(planned)] \(scenario): \(label), \(transport)\(repText) … ")
    }

    private func report(_ outcome: Trial.Outcome) {
        var text = "\(Table.rate(outcome.deliveredPerSecond)) msg/s"
        if outcome.lossPercent > 0 { text += ", loss \(Table.fixed(outcome.lossPercent, 2))%" }
        if outcome.unaccounted != 0 { text += ", UNACCOUNTED \(outcome.unaccounted)" }
        stderr(text + "\n")
    }
}

/// Writes progress to stderr, unbuffered.
func stderr(_ text: String) {
    cb_stderr(text)
}
