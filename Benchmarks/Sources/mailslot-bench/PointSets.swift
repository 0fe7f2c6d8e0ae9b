import MailslotCharts

/// Points gathered by series name, one per x (a measurement several rows share is one point
/// naming them all), kept in the order the series first appear.
struct PointSets {
    private var names: [String] = []
    private var points: [String: [Double: (y: Double, rows: [Int])]] = [:]

    /// Lines drawn dashed: the baselines, so that ours shows where both coincide.
    private var dashedNames: Set<String> = []

    mutating func add(_ name: String, x: Double, y: Double?, row: Int, baseline: Bool = false) {
        guard let y else { return }
        if baseline { dashedNames.insert(name) }
        if points[name] == nil { names.append(name) }
        var line = points[name, default: [:]]
        line[x] = (line[x]?.y ?? y, (line[x]?.rows ?? []) + [row])
        points[name] = line
    }

    /// The lines, coloured by name (or all in `color`).
    func series(dashed: Bool = false, color: String? = nil) -> [LineChart.Series] {
        names.map { name in
            let line = points[name] ?? [:]
            return LineChart.Series(
                name: name, points: line.keys.sorted().map { LineChart.Point(x: $0, y: line[$0]!.y, rows: line[$0]!.rows) },
                color: color ?? BenchReport.color(name), dashed: dashed || dashedNames.contains(name))
        }
    }
}
