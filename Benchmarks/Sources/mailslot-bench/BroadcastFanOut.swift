// Scenario g, built only with the package's LabScenario trait (on by default; the test
// command's soak and gates build without it, and without the load tester).
#if LabScenario
import CBaselines
import Glibc
import MailslotLoadTest

/// Scenario g: a domain broadcast fan-out. A blaster host sends DIRECT_GROUP datagrams (424 B)
/// to the subnet's broadcast address; every receiving host (a network namespace on one bridge)
/// runs its own engine on UDP 138 and gets each one. Baseline: C recvmmsg receivers on the same
/// hosts. Needs root (network namespaces); without it the scenario is skipped with a note.
///
/// The hosts are a `NamespaceLab` of MailslotLoadTest: the same lab `mailslot loadtest lab`
/// builds (its coordinator namespace is the blaster here).
enum BroadcastLab {
    /// Starts this benchmark's executable inside the lab namespace `host`.
    static func spawn(_ host: String, _ arguments: [String], holdOpen: Int32, stdin: Int32? = nil) throws(BenchError) -> ChildProcess {
        try ChildProcess(
            arguments: ["netns", "exec", host, ChildProcess.executable] + arguments, holdOpen: holdOpen, stdin: stdin,
            executable: NamespaceLab.ip)
    }
}

extension ScenarioRunner {
    /// g. Domain broadcast fan-out to `receivers` engines.
    func broadcastFanOut(receivers count: Int) throws(BenchError) {
        if let reason = NamespaceLab.unavailableReason {
            var row = ResultRow(scenario: "g", caseLabel: "broadcast to \(count) hosts", payloadBytes: 424, mailslots: 1, writers: 1, baseline: "c-recvmmsg")
            row.transport = Transport.mailslotUDP.rawValue
            row.note = "skipped: \(reason)"
            return append(row)
        }
        NamespaceLab.removeStale()
        let lab: NamespaceLab
        do { lab = try NamespaceLab(hosts: count) } catch { throw .setup("lab: \(error)") }
        defer { lab.remove() }
        var outcomes: [Transport: [FanOutOutcome]] = [:]
        for rep in 1...profile.repetitions {
            for transport in [Transport.mailslotUDP, .cRecvmmsg] {
                announce("g", "broadcast to \(count) hosts", transport.rawValue, rep)
                let outcome = try fanOutTrial(lab, transport)
                stderr("\(Table.rate(outcome.deliveredPerSecond)) deliveries/s, loss \(Table.fixed(outcome.lossPercent, 2))%\(outcome.unaccounted != 0 ? ", UNACCOUNTED \(outcome.unaccounted)" : "")\n")
                outcomes[transport, default: []].append(outcome)
            }
        }
        func median(_ runs: [FanOutOutcome]) -> FanOutOutcome { runs.sorted { $0.deliveredPerSecond < $1.deliveredPerSecond }[runs.count / 2] }
        guard let ours = outcomes[.mailslotUDP].map(median), let theirs = outcomes[.cRecvmmsg].map(median) else { return }
        var row = ResultRow(
            scenario: "g", caseLabel: "broadcast to \(count) hosts", payloadBytes: 424, mailslots: 1, writers: 1,
            offeredPerSecond: ours.offeredPerSecond, deliveredPerSecond: ours.deliveredPerSecond, lossPercent: ours.lossPercent,
            p50: ours.p50, p99: ours.p99, p999: ours.p999, baseline: Transport.cRecvmmsg.rawValue,
            baselinePerSecond: theirs.deliveredPerSecond,
            ratio: theirs.deliveredPerSecond > 0 ? ours.deliveredPerSecond / theirs.deliveredPerSecond : nil)
        row.transport = Transport.mailslotUDP.rawValue
        row.hostDeliveredPerSecond = ours.hostRates
        row.baselineHostDeliveredPerSecond = theirs.hostRates
        row.sent = ours.sent
        row.delivered = ours.delivered
        row.countedDrops = ours.drops
        row.writeErrors = ours.writeErrors
        row.unaccounted = outcomes[.mailslotUDP]!.reduce(0) { $0 + abs($1.unaccounted) }
        row.outOfOrder = ours.outOfOrder
        row.baselineLossPercent = theirs.lossPercent
        row.baselineP99 = theirs.p99
        row.repetitions = profile.repetitions
        row.note = "delivered/s sums the \(count) hosts; slowest host \(Table.rate(ours.slowestHost))/s"
        append(row)
    }

    struct FanOutOutcome {
        var sent: UInt64 = 0
        var writeErrors: UInt64 = 0
        var delivered: UInt64 = 0
        var drops: UInt64 = 0
        var outOfOrder: UInt64 = 0
        var offeredPerSecond = 0.0
        var deliveredPerSecond = 0.0
        var slowestHost = Double.infinity
        /// Each host's delivered rate, in the lab's host order.
        var hostRates: [Double] = []
        var p50 = 0.0, p99 = 0.0, p999 = 0.0
        var hosts = 1
        /// Each datagram sent should reach every host: hosts × sent = delivered + drops + hosts × refused.
        var unaccounted: Int64 { Int64(sent) * Int64(hosts) - Int64(delivered) - Int64(drops) }
        var lossPercent: Double { sent == 0 ? 0 : 100 * (1 - Double(delivered) / Double(sent * UInt64(hosts))) }
    }

    private func fanOutTrial(_ lab: NamespaceLab, _ transport: Transport) throws(BenchError) -> FanOutOutcome {
        let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { close(null) }
        var receivers: [(ChildProcess, Int32)] = []
        for host in lab.hosts {
            var input: [Int32] = [0, 0]
            let piped = cb_pipe(&input)
            guard piped == 0 else { throw .system("pipe2", -piped) }
            let child = try BroadcastLab.spawn(
                host, ["udp-receiver", "--transport", transport.rawValue, "--prefix", "g0", "--port", "138"], holdOpen: null, stdin: input[0])
            close(input[0])
            guard child.readLine(startingWith: "ready") != nil else { throw .setup("a broadcast receiver did not start") }
            receivers.append((child, input[1]))
        }
        let blaster = try BroadcastLab.spawn(lab.coordinator, [
            "writer", "--transport", "udp-blast", "--host", NamespaceLab.broadcast, "--port", "138", "--prefix", "g0",
            "--count", "1", "--payload", "424", "--seconds", "\(profile.seconds)",
        ], holdOpen: null)
        let sent = try blaster.finish().split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { UInt64($0) }
        guard sent.count == 5 else { throw .setup("unexpected blaster output") }
        var outcome = FanOutOutcome()
        outcome.hosts = receivers.count
        outcome.sent = sent[1]
        outcome.writeErrors = sent[2]
        outcome.offeredPerSecond = sent[4] > sent[3] ? Double(sent[0]) / (Double(sent[4] - sent[3]) / 1e9) : 0
        var first = UInt64.max, last = UInt64(0)
        for (index, (child, input)) in receivers.enumerated() {
            close(input)  // end of input: the receiver drains and reports
            let fields = try child.finish().split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { Double($0) }
            guard fields.count == 8 else { throw .setup("unexpected receiver output") }
            outcome.delivered += UInt64(fields[0])
            outcome.drops += UInt64(fields[3])
            outcome.outOfOrder += UInt64(fields[4])
            if fields[0] > 1 { first = min(first, UInt64(fields[1])); last = max(last, UInt64(fields[2])) }
            let hostRate = fields[2] > fields[1] ? (fields[0] - 1) / ((fields[2] - fields[1]) / 1e9) : 0
            outcome.slowestHost = min(outcome.slowestHost, hostRate)
            outcome.hostRates.append(hostRate)
            if index == 0 { (outcome.p50, outcome.p99, outcome.p999) = (fields[5], fields[6], fields[7]) }
        }
        outcome.deliveredPerSecond = last > first ? Double(outcome.delivered) / (Double(last - first) / 1e9) : 0
        return outcome
    }
}
#endif
