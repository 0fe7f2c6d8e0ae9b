/// What one agent saw of one step, as it reports it to the coordinator.
///
/// A report travels as one or more mailslot messages (unicast MS-MAIL), each small enough for
/// one datagram. Each part is text: a header line, then `key=value` lines:
///
/// ```
/// MSLR <run> <step> <part>/<parts> <host>
/// received=98211
/// duplicates=0
/// …
/// drop.queue_full=12
/// ```
/// Parts can arrive in any order, or twice (agents repeat a report when asked again).
public struct AgentReport: Hashable, Sendable {
    /// The agent's computer name.
    public var host: String
    /// The run and step reported.
    public var run: UInt32
    /// The step (0: the hello of discovery).
    public var step: UInt16
    /// Load messages received (duplicates included).
    public var received: UInt64 = 0
    /// Distinct sequence numbers received.
    public var unique: UInt64 = 0
    /// Messages received again.
    public var duplicates: UInt64 = 0
    /// Messages that came after a later one.
    public var outOfOrder: UInt64 = 0
    /// Sequence numbers missing below the highest received (loss seen by gaps).
    public var gapLost: UInt64 = 0
    /// One-way latency percentiles and maximum, in microseconds (0 without messages).
    public var latencyP50: UInt64 = 0
    /// 99th percentile, µs.
    public var latencyP99: UInt64 = 0
    /// 99.9th percentile, µs.
    public var latencyP999: UInt64 = 0
    /// The largest, µs.
    public var latencyMax: UInt64 = 0
    /// Load messages the agent's engine dropped, by cause (`queue_full`, …), and the datagram
    /// service's drops by cause, the kernel's (`kernel_buffer_full`) among them.
    public var drops: [String: UInt64] = [:]
    /// The agent's CPU time during the step, in milliseconds, and its resident set in KiB.
    public var cpuMilliseconds: UInt64 = 0
    /// Resident set size at the end of the step, KiB.
    public var residentKilobytes: UInt64 = 0

    /// An empty report.
    public init(host: String, run: UInt32, step: UInt16) {
        self.host = host
        self.run = run
        self.step = step
    }

    /// Bytes a part may take (a unicast mailslot write's message, with room to spare).
    public static let partLimit = 400

    private var fields: [(String, UInt64)] {
        [
            ("received", received), ("unique", unique), ("duplicates", duplicates), ("out_of_order", outOfOrder),
            ("gap_lost", gapLost), ("p50_us", latencyP50), ("p99_us", latencyP99), ("p999_us", latencyP999),
            ("max_us", latencyMax), ("cpu_ms", cpuMilliseconds), ("rss_kb", residentKilobytes),
        ] + drops.sorted { $0.key < $1.key }.map { ("drop." + $0.key, $0.value) }
    }

    /// The report as parts of at most ``partLimit`` bytes each.
    public func encoded() -> [[UInt8]] {
        let lines = fields.map { "\($0.0)=\($0.1)" }
        var bodies: [[String]] = [[]]
        var length = 0
        let headerRoom = 64 + host.utf8.count
        for line in lines {
            if length + line.utf8.count + 1 + headerRoom > Self.partLimit, !bodies[bodies.count - 1].isEmpty {
                bodies.append([])
                length = 0
            }
            bodies[bodies.count - 1].append(line)
            length += line.utf8.count + 1
        }
        return bodies.enumerated().map { index, body in
            Array((["MSLR \(run) \(step) \(index + 1)/\(bodies.count) \(host)"] + body).joined(separator: "\n").utf8)
        }
    }

    /// One part, read: its place and count, and the fields it carries.
    public struct Part: Sendable {
        /// The agent, run and step.
        public var host: String, run: UInt32, step: UInt16
        /// 1-based part number, and how many parts make the report.
        public var index: Int, count: Int
        /// The `key=value` lines of this part.
        public var fields: [(String, UInt64)]
    }

    /// Reads one part; `nil` when `bytes` is not a report part.
    public static func part(_ bytes: some Sequence<UInt8>) -> Part? {
        let lines = String(decoding: Array(bytes), as: UTF8.self).split(separator: "\n")
        guard let header = lines.first?.split(separator: " "), header.count == 5, header[0] == "MSLR",
            let run = UInt32(header[1]), let step = UInt16(header[2])
        else { return nil }
        let place = header[3].split(separator: "/")
        guard place.count == 2, let index = Int(place[0]), let count = Int(place[1]), (1...64).contains(count),
            (1...count).contains(index)
        else { return nil }
        var fields: [(String, UInt64)] = []
        for line in lines.dropFirst() {
            let pair = line.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, let value = UInt64(pair[1]) else { return nil }
            fields.append((String(pair[0]), value))
        }
        return Part(host: String(header[4]), run: run, step: step, index: index, count: count, fields: fields)
    }

    /// Sets a field from its wire key (unknown keys are ignored: a newer agent may send more).
    mutating func set(_ key: String, _ value: UInt64) {
        switch key {
        case "received": received = value
        case "unique": unique = value
        case "duplicates": duplicates = value
        case "out_of_order": outOfOrder = value
        case "gap_lost": gapLost = value
        case "p50_us": latencyP50 = value
        case "p99_us": latencyP99 = value
        case "p999_us": latencyP999 = value
        case "max_us": latencyMax = value
        case "cpu_ms": cpuMilliseconds = value
        case "rss_kb": residentKilobytes = value
        default: if key.hasPrefix("drop.") { drops[String(key.dropFirst(5))] = value }
        }
    }
}

/// Puts reports together from their parts, whatever order they come in.
public struct ReportAssembler: Sendable {
    private struct Key: Hashable { var host: String, run: UInt32, step: UInt16 }
    private var pending: [Key: [Int: AgentReport.Part]] = [:]
    private var complete: [Key: AgentReport] = [:]

    /// An assembler with nothing yet.
    public init() {}

    /// Takes a part. - Returns: the report, when this part completed it (once per report).
    public mutating func take(_ part: AgentReport.Part) -> AgentReport? {
        let key = Key(host: part.host, run: part.run, step: part.step)
        guard complete[key] == nil else { return nil }
        pending[key, default: [:]][part.index] = part
        guard let parts = pending[key], parts.count == part.count else { return nil }
        var report = AgentReport(host: part.host, run: part.run, step: part.step)
        for index in 1...part.count {
            guard let piece = parts[index] else { return nil }
            for (key, value) in piece.fields { report.set(key, value) }
        }
        pending[key] = nil
        complete[key] = report
        return report
    }

    /// The complete reports of `step` in `run`, by host.
    public func reports(run: UInt32, step: UInt16) -> [String: AgentReport] {
        var found: [String: AgentReport] = [:]
        for (key, report) in complete where key.run == run && key.step == step { found[key.host] = report }
        return found
    }
}
