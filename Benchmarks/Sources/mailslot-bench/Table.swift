/// The human-readable table: one line per row, ours then the baseline and the ratio.
enum Table {
    static func render(_ rows: [ResultRow]) -> String {
        let header = [
            "scen", "case", "offered/s", "delivered/s", "loss%", "p50us", "p99us", "p999us", "rss",
            "baseline", "baseline/s", "ratio", "unacct", "note",
        ]
        var lines: [[String]] = [header]
        for row in rows {
            lines.append([
                row.scenario, row.caseLabel, rate(row.offeredPerSecond), rate(row.deliveredPerSecond),
                fixed(row.lossPercent, 2), fixed(row.p50, 1), fixed(row.p99, 1), fixed(row.p999, 1),
                row.scenario == "e" ? bytesPerSlot(row.rssPerMailslot) + "/slot" : bytes(row.rssBytes), row.baseline, row.scenario == "e" ? bytesPerSlot(row.baselinePerSecond) : rate(row.baselinePerSecond),
                fixed(row.ratio, 2), row.unaccounted.map { "\($0)" } ?? "-", row.note ?? "",
            ])
        }
        let widths = header.indices.map { column in lines.map { $0[column].count }.max() ?? 0 }
        let leftAligned: Set<Int> = [0, 1, 9, 13]  // scenario, case, baseline, note
        return lines.map { cells in
            var line = cells.enumerated().map { column, cell in
                pad(cell, widths[column], left: leftAligned.contains(column))
            }.joined(separator: "  ")
            while line.last == " " { line.removeLast() }
            return line
        }.joined(separator: "\n") + "\n"
    }

    static func rate(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "-" }
        if value >= 1e6 { return fixed(value / 1e6, 2) + "M" }
        if value >= 1e3 { return fixed(value / 1e3, 1) + "k" }
        return fixed(value, 0)
    }

    static func bytes(_ value: Int?) -> String {
        guard let value else { return "-" }
        if abs(value) >= 1 << 20 { return fixed(Double(value) / Double(1 << 20), 1) + "M" }
        if abs(value) >= 1 << 10 { return fixed(Double(value) / 1024, 1) + "K" }
        return "\(value)"
    }

    static func bytesPerSlot(_ value: Double?) -> String {
        guard let value else { return "-" }
        return fixed(value, 0) + " B"
    }

    static func fixed(_ value: Double?, _ digits: Int) -> String {
        guard let value, value.isFinite else { return "-" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let rounded = (value * scale).rounded() / scale
        var text = "\(rounded)"
        if digits == 0 { return "\(Int(rounded))" }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        if parts.count == 2, parts[1].count < digits { text += String(repeating: "0", count: digits - parts[1].count) }
        return text.contains("e") ? "\(value)" : text
    }

    private static func pad(_ text: String, _ width: Int, left: Bool) -> String {
        let fill = String(repeating: " ", count: max(0, width - text.count))
        return left ? text + fill : fill + text
    }
}
