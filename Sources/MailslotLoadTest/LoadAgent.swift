import Glibc
import MailslotEngine

/// The receiving side of a load test, on an engine's loop: serves the agents' mailslot through
/// the host's datagram service, tallies every load message by run, step and sender, and
/// answers the coordinator's control messages with reports written back over MS-MAIL.
///
/// Idle, it costs nothing: the loop sleeps until a datagram comes.
public final class LoadAgent {
    /// This host's computer name, as reports carry it.
    public let hostName: String
    private let engine: MailslotEngine
    private let server: MailslotServer
    private let network: NetworkConfiguration
    private var tallies: [TallyKey: SequenceTally] = [:]
    /// Reports already made, by run and step (an end-of-step repeated gets the same report).
    private var reports: [StepKey: AgentReport] = [:]
    private var reportOrder: [StepKey] = []
    private var lastSnapshot: CounterSnapshot
    private var repliers: [UInt64: MailslotClient] = [:]
    /// Reports that could not be written (the coordinator's host unreachable, say).
    public private(set) var reportFailures: UInt64 = 0

    private struct TallyKey: Hashable { var run: UInt32, step: UInt16, sender: UInt16 }
    private struct StepKey: Hashable { var run: UInt32, step: UInt16 }

    /// Starts serving: the agents' mailslot, and the datagram service per `network` (unless
    /// `startService` is `false`: a relay on the host serves it then).
    /// - Throws: as ``/MailslotEngine/MailslotEngine/createMailslot(named:maxMessageSize:readTimeout:sharedMemoryBytes:writers:)``
    ///   and ``/MailslotEngine/MailslotEngine/startDatagramService(_:)``.
    public init(engine: MailslotEngine, network: NetworkConfiguration, startService: Bool = true) throws(MailslotError) {
        self.engine = engine
        self.network = network
        hostName = network.computerName
        server = try engine.createMailslot(named: "\\\\.\\mailslot\\" + LoadProtocol.agentMailslot)
        if startService { try engine.startDatagramService(network) }
        lastSnapshot = CounterSnapshot(engine: engine, server: server)
        try server.onMessageWithOrigin { [unowned self] bytes, origin in self.take(bytes, origin: origin) }
    }

    /// The counters of the agent's mailslot (what the engine delivered and dropped).
    public var statistics: MailslotStatistics { (try? server.statistics()) ?? MailslotStatistics() }

    private func take(_ bytes: RawSpan, origin: MessageOrigin?) {
        if let stamp = LoadStamp(bytes) {
            let now = realTimeNanoseconds()
            let latency = now >= stamp.sentNanoseconds ? (now - stamp.sentNanoseconds) / 1000 : nil
            tallies[TallyKey(run: stamp.run, step: stamp.step, sender: stamp.sender), default: SequenceTally()]
                .record(sequence: stamp.sequence, latencyMicroseconds: latency)
        } else if let control = ControlMessage(bytes), let origin {
            answer(control, origin: origin)
        }
    }

    private func answer(_ control: ControlMessage, origin: MessageOrigin) {
        let key = StepKey(run: control.run, step: control.step)
        let report: AgentReport
        switch control.kind {
        case .hello:
            report = AgentReport(host: hostName, run: control.run, step: 0)
        case .endOfStep:
            if let made = reports[key] {
                report = made
            } else {
                report = makeReport(run: control.run, step: control.step)
                reports[key] = report
                reportOrder.append(key)
                if reportOrder.count > 64 { reports[reportOrder.removeFirst()] = nil }
            }
        }
        send(report, to: origin)
    }

    /// The step's figures: its tallies (all senders summed) and what the engine, the datagram
    /// service and the kernel dropped since the last report.
    private func makeReport(run: UInt32, step: UInt16) -> AgentReport {
        var report = AgentReport(host: hostName, run: run, step: step)
        var latencies: [SequenceTally] = []
        for (key, tally) in tallies where key.run == run && key.step == step {
            report.received += tally.received
            report.unique += tally.unique
            report.duplicates += tally.duplicates
            report.outOfOrder += tally.outOfOrder
            report.gapLost += tally.gapLost
            latencies.append(tally)
            tallies[key] = nil
        }
        // Tallies of older steps whose end never came are dropped with it: bounded memory.
        for key in tallies.keys where key.run != run || key.step < step { tallies[key] = nil }
        if let first = latencies.first, first.latency.totalCount > 0 {
            var merged = first.latency
            for other in latencies.dropFirst() { merged.add(other.latency) }
            report.latencyP50 = merged.valueAtPercentile(50)
            report.latencyP99 = merged.valueAtPercentile(99)
            report.latencyP999 = merged.valueAtPercentile(99.9)
            report.latencyMax = merged.max
        }
        let now = CounterSnapshot(engine: engine, server: server)
        for (cause, count) in now.slotDrops.causes where count > 0 {
            let before = lastSnapshot.slotDrops.causes.first { $0.name == cause }?.count ?? 0
            if count > before { report.drops["engine." + cause] = count - before }
        }
        for (cause, count) in now.serviceDrops.causes where count > 0 {
            let before = lastSnapshot.serviceDrops.causes.first { $0.name == cause }?.count ?? 0
            if count > before { report.drops["service." + cause] = count - before }
        }
        report.cpuMilliseconds = now.cpuMilliseconds - lastSnapshot.cpuMilliseconds
        report.residentKilobytes = now.residentKilobytes
        lastSnapshot = now
        return report
    }

    private func send(_ report: AgentReport, to origin: MessageOrigin) {
        let key = UInt64(origin.ip) << 16 | UInt64(origin.port)
        do {
            let client = try repliers[key] ?? MailslotClient(replyingTo: origin, mailslot: LoadProtocol.reportMailslot, network: network)
            repliers[key] = client
            for part in report.encoded() { try client.write(part) }
        } catch {
            reportFailures += 1
        }
    }
}

/// The counters a report subtracts: the agent's mailslot's drops, the datagram service's drops
/// (the kernel's among them), the process's CPU time and resident set.
struct CounterSnapshot {
    var slotDrops: DropCounters
    var serviceDrops: DropCounters
    var cpuMilliseconds: UInt64
    var residentKilobytes: UInt64

    init(engine: MailslotEngine, server: MailslotServer) {
        slotDrops = (try? server.statistics().drops) ?? DropCounters()
        serviceDrops = engine.datagramStatistics?.drops ?? DropCounters()
        (cpuMilliseconds, residentKilobytes) = processUsage()
    }
}

/// The process's CPU time (user and system) in milliseconds, and its peak resident set in KiB.
func processUsage() -> (cpuMilliseconds: UInt64, residentKilobytes: UInt64) {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    let cpu = (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000 + (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1000
    return (UInt64(max(0, cpu)), UInt64(max(0, usage.ru_maxrss)))
}

/// The real-time clock in nanoseconds (what stamps carry: one clock for every host of a lab).
func realTimeNanoseconds() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_REALTIME, &time)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
}
