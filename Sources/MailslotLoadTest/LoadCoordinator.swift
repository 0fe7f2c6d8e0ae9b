import Glibc
import MailslotEngine
import MailslotSupport

/// What a run sends and how it judges the result.
public struct LoadRunOptions: Sendable {
    /// The datagram service settings; the load goes to `\\<domain>\mailslot\loadtest` at its
    /// broadcast addresses, and reports come back to its port.
    public var network: NetworkConfiguration
    /// Rates to step through, messages per second; empty with ``sweep`` set.
    public var rates: [Int] = []
    /// Search for the knee instead of stepping through ``rates``.
    public var sweep = false
    /// Where a sweep starts, and the highest rate it tries.
    public var sweepStart = 1000, sweepMaximum = 1_000_000
    /// Seconds each step sends.
    public var duration = 5.0
    /// Bytes per message (at least a stamp; at most 424, a domain broadcast's limit).
    public var payload = 424
    /// The loss a step may have on every host and still pass, percent.
    public var lossThresholdPercent = 0.1
    /// Seconds to wait for reports after the end of a step.
    public var reportTimeout = 3.0
    /// Hosts expected: discovery waits for this many (or its timeout), and says who is short.
    public var expectedHosts: Int?
    /// Seconds discovery may take.
    public var discoveryTimeout = 2.0

    /// Options for `network`, with the defaults above.
    public init(network: NetworkConfiguration) { self.network = network }
}

/// The result of a whole run.
public struct RunResult: Codable, Sendable {
    /// The run id (random), the domain, the payload and the threshold.
    public var run: UInt32
    /// The domain the load went to.
    public var domain: String
    /// Bytes per message.
    public var payload: Int
    /// The pass threshold, percent.
    public var lossThresholdPercent: Double
    /// The hosts that answered discovery.
    public var hosts: [String]
    /// Every step, in order.
    public var steps: [StepResult]
    /// The highest offered rate whose step passed (`nil` when none did, or when the sender set
    /// the limit: ``kneeAbove``), among steps the coordinator could send at their rate.
    public var knee: Int?
    /// When the coordinator, not the hosts, set the limit (it could not send some step at its
    /// rate, and no host lost more than the threshold at any step): the highest rate it did
    /// send, which the knee lies above.
    public var kneeAbove: Int?
    /// The verdict in words, as the table and the report headline say it: `knee 4,000 msg/s`,
    /// `knee above 5,187 msg/s (sender-limited; no host lost)`, or `no knee (…)`.
    public var kneeSummary: String?
    /// The rate the coordinator could not send faster than, if a step reached it: the hosts'
    /// knee may lie above.
    public var coordinatorLimit: Double?
    /// Whether latency figures compare clocks of different machines (then they need
    /// synchronized clocks to mean anything).
    public var latencyNeedsSynchronizedClocks: Bool
    /// The version of the `mailslot` that ran it (optional: results written before 0.9.0 lack it).
    public var version: String? = BuildInfo.version
    /// The commit of the `mailslot` that ran it (``version``'s build).
    public var commit: String? = BuildInfo.commit

    /// A run's result from its parts.
    public init(
        run: UInt32, domain: String, payload: Int, lossThresholdPercent: Double, hosts: [String], steps: [StepResult], knee: Int?,
        coordinatorLimit: Double?, latencyNeedsSynchronizedClocks: Bool
    ) {
        self.run = run
        self.domain = domain
        self.payload = payload
        self.lossThresholdPercent = lossThresholdPercent
        self.hosts = hosts
        self.steps = steps
        self.coordinatorLimit = coordinatorLimit
        self.latencyNeedsSynchronizedClocks = latencyNeedsSynchronizedClocks
        let senderLimited = coordinatorLimit != nil && !steps.isEmpty && steps.allSatisfy { $0.passes(thresholdPercent: lossThresholdPercent) }
        if senderLimited {
            self.knee = nil
            kneeAbove = Int(steps.map(\.sentPerSecond).max() ?? 0)
        } else {
            self.knee = knee
        }
        kneeSummary = Self.summary(knee: self.knee, above: kneeAbove)
    }

    /// The verdict in words (``kneeSummary``).
    static func summary(knee: Int?, above: Int?) -> String {
        if let above { return "knee above \(ResultTable.count(Double(above))) msg/s (sender-limited; no host lost)" }
        if let knee { return "knee \(ResultTable.count(Double(knee))) msg/s" }
        return "no knee (every step lost more than the threshold)"
    }
}

/// The sending side: finds the agents of a domain, sends paced DIRECT_GROUP broadcasts step by
/// step (`sendmmsg` batches, each message stamped), and collects the agents' reports over
/// MS-MAIL. Runs on the calling thread with an engine of its own.
public final class LoadCoordinator {
    /// This run's id.
    public let run = UInt32.random(in: 1...UInt32.max)
    private let options: LoadRunOptions
    private let engine: MailslotEngine
    private let client: MailslotClient
    private var assembler = ReportAssembler()
    private var reportSlot: MailslotServer?
    /// Report parts that could not be read (not from an agent of this tool).
    public private(set) var malformedReports: UInt64 = 0

    /// What a step looks like while it runs and when it ends (for progress lines).
    public enum Progress {
        /// Sending: the step, its rate, and how many were sent so far.
        case sending(step: Int, rate: Int, sent: UInt64, elapsed: Double)
        /// The step's reports are in (or their time is up).
        case finished(StepResult)
        /// Discovery is over.
        case discovered([String])
    }

    /// Starts the coordinator's engine: its datagram service (for reports; or the one already
    /// running on this host) and its report mailslot.
    /// - Throws: a `MailslotError` when the port, the mailslot or the domain
    ///   cannot be used.
    public init(options: LoadRunOptions) throws(MailslotError) {
        guard (LoadStamp.size...MessageSizeLimit.broadcast).contains(options.payload) else {
            throw .invalidParameter("--payload must be \(LoadStamp.size) to \(MessageSizeLimit.broadcast) bytes")
        }
        self.options = options
        engine = try MailslotEngine()
        do throws(MailslotError) {
            try engine.startDatagramService(options.network)
        } catch {
            // An agent (or relay) on this host owns the port: the reports reach the report
            // mailslot through it, and this host's writes leave from its port.
            guard case .alreadyExists = error else { throw error }
        }
        client = try MailslotClient(named: "\\\\\(options.network.domain)\\mailslot\\\(LoadProtocol.agentMailslot)", network: options.network)
        let slot = try engine.createMailslot(named: LoadProtocol.reportMailslotLocal)
        try slot.onMessage { [unowned self] bytes in
            guard let part = AgentReport.part(bytes.byteArray) else {
                malformedReports += 1
                return
            }
            _ = assembler.take(part)
        }
        reportSlot = slot
    }

    /// Runs discovery, then every step (the given rates, or a knee search), calling `progress`
    /// as it goes.
    public func runAll(progress: (Progress) -> Void) throws(MailslotError) -> RunResult {
        let hosts = try discover()
        progress(.discovered(hosts))
        guard !hosts.isEmpty else {
            throw .badNetPath("no agent of \\\\\(options.network.domain)\\mailslot\\\(LoadProtocol.agentMailslot) answered discovery")
        }
        var steps: [StepResult] = []
        var search = KneeSearch(start: options.sweepStart, maximum: options.sweepMaximum)
        var queue = options.rates
        var lastPassed: Bool?
        while true {
            let rate: Int
            if options.sweep {
                guard let next = search.next(lastPassed: lastPassed) else { break }
                rate = next
            } else {
                guard !queue.isEmpty else { break }
                rate = queue.removeFirst()
            }
            let result = try runStep(steps.count + 1, rate: rate, hosts: hosts, progress: progress)
            steps.append(result)
            lastPassed = result.passes(thresholdPercent: options.lossThresholdPercent)
            progress(.finished(result))
            // A sweep cannot go past what this coordinator sends.
            if options.sweep && result.coordinatorLimited && lastPassed == true { break }
        }
        // Steps the coordinator could not send at their rate say nothing of the hosts' knee.
        let measured = steps.filter { !$0.coordinatorLimited && $0.passes(thresholdPercent: options.lossThresholdPercent) }
        let knee = options.sweep ? min(search.knee ?? 0, measured.map(\.offeredRate).max() ?? 0) : measured.map(\.offeredRate).max()
        return RunResult(
            run: run, domain: options.network.domain, payload: options.payload,
            lossThresholdPercent: options.lossThresholdPercent, hosts: hosts, steps: steps, knee: knee == 0 ? nil : knee,
            coordinatorLimit: steps.first { $0.coordinatorLimited }?.sentPerSecond,
            latencyNeedsSynchronizedClocks: false)
    }

    /// Broadcasts hello (every half second) and collects who answers, until the expected
    /// number answered or the discovery timeout.
    public func discover() throws(MailslotError) -> [String] {
        let start = monotonicSeconds()
        let deadline = start + options.discoveryTimeout
        var sentHellos = 0
        while monotonicSeconds() < deadline {
            if Double(sentHellos) * 0.5 <= monotonicSeconds() - start {
                try client.write(ControlMessage(run: run, step: 0, kind: .hello, sent: 0).bytes)
                sentHellos += 1
            }
            engine.runOnce(timeout: 0.1)
            if let expected = options.expectedHosts, assembler.reports(run: run, step: 0).count >= expected, sentHellos >= 3 { break }
        }
        return assembler.reports(run: run, step: 0).keys.sorted { $0.localizedStandardOrder(before: $1) }
    }

    /// Sends one step at `rate` for the configured duration, then asks for and collects reports.
    public func runStep(_ step: Int, rate: Int, hosts: [String], progress: (Progress) -> Void) throws(MailslotError) -> StepResult {
        let batch = MailslotWriteBatch(capacity: 64, maxMessageSize: options.payload)
        let stepNumber = UInt16(truncatingIfNeeded: step)
        var sequence: UInt64 = 0
        var refused: UInt64 = 0
        let start = monotonicSeconds()
        var lastProgress = start
        var now = start
        while now - start < options.duration {
            let due = UInt64((now - start) * Double(rate))
            while sequence < due {
                batch.removeAll()
                let count = Int(min(due - sequence, UInt64(batch.capacity)))
                let sentAt = realTimeNanoseconds()
                for offset in 0..<count {
                    _ = batch.append(length: options.payload) { buffer in
                        buffer.initializeMemory(as: UInt8.self, repeating: 0)
                        LoadStamp(run: run, step: stepNumber, sender: 0, sequence: sequence + UInt64(offset), sentNanoseconds: sentAt)
                            .write(into: buffer)
                        return options.payload
                    }
                }
                let written = try client.write(batch, waitingUpTo: 0)
                sequence += UInt64(written)
                if written < count {
                    refused += UInt64(count - written)
                    break  // the socket's buffer is full: try again on the next tick
                }
            }
            if now - lastProgress >= 0.5 {
                progress(.sending(step: step, rate: rate, sent: sequence, elapsed: now - start))
                lastProgress = now
            }
            engine.runOnce(timeout: 0.0005)  // reports of late hosts, and a pause to pace
            now = monotonicSeconds()
        }
        let seconds = monotonicSeconds() - start
        // Let queues empty, then ask for the reports (three times: control messages are
        // datagrams too) and wait for every host, or the timeout.
        wait(0.3)
        let end = ControlMessage(run: run, step: stepNumber, kind: .endOfStep, sent: sequence).bytes
        let deadline = monotonicSeconds() + options.reportTimeout
        for _ in 0..<3 {
            try client.write(end)
            wait(0.15)
            if assembler.reports(run: run, step: stepNumber).count >= hosts.count { break }
        }
        while assembler.reports(run: run, step: stepNumber).count < hosts.count, monotonicSeconds() < deadline {
            engine.runOnce(timeout: 0.05)
        }
        let reports = assembler.reports(run: run, step: stepNumber)
        let results = hosts.map { HostStepResult(host: $0, report: reports[$0], sent: sequence, seconds: seconds) }
        return StepResult(step: step, offeredRate: rate, sent: sequence, seconds: seconds, sendRefused: refused, hosts: results)
    }

    private func wait(_ seconds: Double) {
        let until = monotonicSeconds() + seconds
        while monotonicSeconds() < until { engine.runOnce(timeout: until - monotonicSeconds()) }
    }
}

/// Monotonic seconds.
func monotonicSeconds() -> Double { MonotonicClock.seconds() }
