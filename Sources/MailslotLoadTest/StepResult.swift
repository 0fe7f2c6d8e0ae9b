/// One host's figures for one step, as the coordinator works them out from the host's report
/// and what it sent: every message sent is received, or lost with a known cause, or lost in
/// the network (``unexplained``).
public struct HostStepResult: Codable, Hashable, Sendable {
    /// The host's computer name.
    public var host: String
    /// `false` when the host never reported the step (all its figures are then zero).
    public var reported: Bool
    /// Load messages it received (duplicates included) and distinct ones.
    public var received: UInt64
    /// Distinct messages received.
    public var unique: UInt64
    /// Messages received again.
    public var duplicates: UInt64
    /// Messages that arrived after a later one.
    public var outOfOrder: UInt64
    /// Sent and never received: sent − unique.
    public var lost: UInt64
    /// Of ``lost``, how many the agent's engine, its datagram service or its kernel counted as
    /// dropped, by cause (`engine.queue-full`, `service.kernel-buffer-full`, …).
    public var drops: [String: UInt64]
    /// Lost with no count anywhere on the host: in the network (bridge, NIC, switch), or
    /// before the host's socket.
    public var unexplained: UInt64
    /// Loss in percent of what was sent.
    public var lossPercent: Double
    /// Distinct messages per second of the step.
    public var deliveredPerSecond: Double
    /// One-way latency percentiles and maximum, µs.
    public var latencyP50: UInt64, latencyP99: UInt64, latencyP999: UInt64, latencyMax: UInt64
    /// The agent's CPU time in the step (ms) and resident set (KiB).
    public var cpuMilliseconds: UInt64, residentKilobytes: UInt64

    /// The figures of `host` for a step in which `sent` messages went out over `seconds`.
    public init(host: String, report: AgentReport?, sent: UInt64, seconds: Double) {
        self.host = host
        reported = report != nil
        let report = report ?? AgentReport(host: host, run: 0, step: 0)
        received = report.received
        unique = min(report.unique, sent)
        duplicates = report.duplicates
        outOfOrder = report.outOfOrder
        lost = sent - unique
        // Drops the host counted of *our* traffic: each cause at most what is still unexplained.
        var left = lost
        var attributed: [String: UInt64] = [:]
        for (cause, count) in report.drops.sorted(by: { $0.key < $1.key }) where count > 0 && left > 0 {
            let taken = min(count, left)
            attributed[cause] = taken
            left -= taken
        }
        drops = attributed
        unexplained = reported ? left : 0
        lossPercent = sent == 0 ? 0 : Double(lost) * 100 / Double(sent)
        deliveredPerSecond = seconds > 0 ? Double(unique) / seconds : 0
        latencyP50 = report.latencyP50
        latencyP99 = report.latencyP99
        latencyP999 = report.latencyP999
        latencyMax = report.latencyMax
        cpuMilliseconds = report.cpuMilliseconds
        residentKilobytes = report.residentKilobytes
    }
}

/// One step of a run: the offered rate, what was sent, and every host's figures.
public struct StepResult: Codable, Hashable, Sendable {
    /// The step number (1-based).
    public var step: Int
    /// The rate asked for, messages per second.
    public var offeredRate: Int
    /// Messages sent (each one datagram to the domain).
    public var sent: UInt64
    /// How long the sending took, seconds.
    public var seconds: Double
    /// Sends the socket refused (the coordinator's own buffer full); not in ``sent``.
    public var sendRefused: UInt64
    /// Every expected host's figures, reported or not.
    public var hosts: [HostStepResult]

    /// A step result.
    public init(step: Int, offeredRate: Int, sent: UInt64, seconds: Double, sendRefused: UInt64, hosts: [HostStepResult]) {
        self.step = step
        self.offeredRate = offeredRate
        self.sent = sent
        self.seconds = seconds
        self.sendRefused = sendRefused
        self.hosts = hosts.sorted { $0.host.localizedStandardOrder(before: $1.host) }
    }

    /// Messages per second actually sent.
    public var sentPerSecond: Double { seconds > 0 ? Double(sent) / seconds : 0 }
    /// Whether the coordinator sent under 90 % of the offered rate: the step then measured the
    /// coordinator's limit, not the hosts'.
    public var coordinatorLimited: Bool { sentPerSecond < 0.9 * Double(offeredRate) }
    /// Hosts that never reported.
    public var missing: [String] { hosts.filter { !$0.reported }.map(\.host) }
    /// The worst host's loss, percent (100 for a host that never reported).
    public var worstLossPercent: Double { hosts.map { $0.reported ? $0.lossPercent : 100 }.max() ?? 0 }
    /// The host with the worst loss.
    public var slowestHost: HostStepResult? { hosts.max { ($0.reported ? $0.lossPercent : 100) < ($1.reported ? $1.lossPercent : 100) } }
    /// Whether every host reported and lost at most `thresholdPercent`.
    public func passes(thresholdPercent: Double) -> Bool { missing.isEmpty && worstLossPercent <= thresholdPercent }
    /// Delivered per second: the sum over hosts, and the per-host minimum, median and maximum.
    public var delivered: (sum: Double, min: Double, median: Double, max: Double) {
        let rates = hosts.map(\.deliveredPerSecond).sorted()
        guard !rates.isEmpty else { return (0, 0, 0, 0) }
        return (rates.reduce(0, +), rates[0], rates[rates.count / 2], rates[rates.count - 1])
    }
    /// Sums over hosts.
    public var duplicates: UInt64 { hosts.reduce(0) { $0 + $1.duplicates } }
    /// Sum of out-of-order arrivals over hosts.
    public var outOfOrder: UInt64 { hosts.reduce(0) { $0 + $1.outOfOrder } }
    /// Lost messages by cause, summed over hosts; `network` for the unexplained ones and
    /// `no-report` for hosts that never reported.
    public var lossByCause: [String: UInt64] {
        var causes: [String: UInt64] = [:]
        for host in hosts {
            for (cause, count) in host.drops { causes[cause, default: 0] += count }
            if host.unexplained > 0 { causes["network", default: 0] += host.unexplained }
            if !host.reported { causes["no-report", default: 0] += host.lost }
        }
        return causes
    }
    /// The latency percentiles over hosts: the median host's p50, and the worst p99 and p99.9.
    public var latency: (p50: UInt64, p99: UInt64, p999: UInt64) {
        let reported = hosts.filter { $0.reported && $0.unique > 0 }
        guard !reported.isEmpty else { return (0, 0, 0) }
        let p50s = reported.map(\.latencyP50).sorted()
        return (p50s[p50s.count / 2], reported.map(\.latencyP99).max()!, reported.map(\.latencyP999).max()!)
    }
}

extension String {
    /// Orders names with numbers by their numbers: H2 before H10.
    func localizedStandardOrder(before other: String) -> Bool {
        let (prefix, number) = splitNumber()
        let (otherPrefix, otherNumber) = other.splitNumber()
        if prefix != otherPrefix || number == nil || otherNumber == nil { return self < other }
        return number! < otherNumber!
    }

    private func splitNumber() -> (Substring, Int?) {
        let digits = reversed().prefix { $0.isNumber }.count
        return (dropLast(digits), Int(suffix(digits)))
    }
}
