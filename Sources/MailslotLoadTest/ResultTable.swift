/// The run's results as text: a table with one row per step, then the knee and, per step,
/// where the loss went.
public enum ResultTable {
    /// The table, ready for stdout.
    public static func render(_ result: RunResult) -> String {
        var lines: [String] = []
        let header = [
            "step", "offered/s", "sent/s", "delivered/s", "min/host", "median", "max/host", "loss%", "dups", "ooo",
            "p50us", "p99us", "p999us", "drops by cause", "slowest host",
        ]
        var rows: [[String]] = [header]
        for step in result.steps {
            let delivered = step.delivered
            let latency = step.latency
            let causes = step.lossByCause.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            let slowest = step.slowestHost.map { "\($0.host) \(format($0.reported ? $0.lossPercent : 100, 2))%" } ?? "-"
            rows.append([
                "\(step.step)", count(Double(step.offeredRate)), count(step.sentPerSecond), count(delivered.sum),
                count(delivered.min), count(delivered.median), count(delivered.max), format(step.worstLossPercent, 2),
                "\(step.duplicates)", "\(step.outOfOrder)", "\(latency.p50)", "\(latency.p99)", "\(latency.p999)",
                causes.isEmpty ? "none" : causes, slowest,
            ])
        }
        let widths = header.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            lines.append(row.enumerated().map { column, cell in
                column >= header.count - 2 ? cell : cell.padding(to: widths[column], right: column > 0)
            }.joined(separator: "  "))
        }
        lines.append("")
        lines.append("hosts: \(result.hosts.count) (\(result.hosts.joined(separator: " ")))")
        let summary = result.kneeSummary ?? RunResult.summary(knee: result.knee, above: result.kneeAbove)
        if let above = result.kneeAbove {
            lines.append("\(summary): the coordinator could send no faster than \(count(Double(above)))/s, and no host lost more than \(format(result.lossThresholdPercent, 2))% at any step")
        } else {
            lines.append("\(summary): the highest offered rate at which every host lost at most \(format(result.lossThresholdPercent, 2))%")
        }
        for step in result.steps where !step.missing.isEmpty {
            lines.append("step \(step.step): no report from \(step.missing.joined(separator: ", "))")
        }
        for step in result.steps where step.coordinatorLimited {
            lines.append(
                "step \(step.step): sent only \(count(step.sentPerSecond))/s of the offered \(count(Double(step.offeredRate)))/s: the coordinator's limit, not the hosts'")
        }
        lines.append("loss %: the worst host's (sent − distinct received) ÷ sent. Causes: engine.* and service.* were counted by the")
        lines.append("host's engine and datagram service (service.kernel-buffer-full: its socket's buffer, SO_RXQ_OVFL); network: counted nowhere.")
        if result.latencyNeedsSynchronizedClocks { lines.append("latency: across machines; it means something only with synchronized clocks.") }
        return lines.joined(separator: "\n")
    }

    /// `12.3k`, `1.05M`: a rate or count, short.
    public static func count(_ value: Double) -> String {
        switch value {
        case 1_000_000...: format(value / 1_000_000, 2) + "M"
        case 10_000...: format(value / 1000, 1) + "k"
        default: String(Int(value.rounded()))
        }
    }

    /// `value` with `digits` decimals.
    public static func format(_ value: Double, _ digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let rounded = (value * scale).rounded() / scale
        var text = String(rounded)
        if let dot = text.firstIndex(of: ".") {
            let decimals = text.distance(from: dot, to: text.endIndex) - 1
            if decimals < digits { text += String(repeating: "0", count: digits - decimals) }
            if digits == 0 { text = String(text[..<dot]) }
        }
        return text
    }
}

/// Padding for text tables.
extension String {
    /// Pads with spaces to `width`, on the left when `right` (right-aligned).
    public func padding(to width: Int, right: Bool) -> String {
        let pad = String(repeating: " ", count: max(0, width - count))
        return right ? pad + self : self + pad
    }
}
