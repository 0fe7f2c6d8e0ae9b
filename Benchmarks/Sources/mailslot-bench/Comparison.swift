import Foundation

/// `--compare OLD.json`: each row's change against a saved run.
///
/// A row's figure is already a same-run ratio (ours ÷ its baseline), so the change is a ratio
/// of ratios, `new ratio ÷ old ratio`: a machine that got slower or busier between the runs
/// slows both sides of each ratio, and cancels out. A change counts as significant only when
/// both runs have at least 3 repetitions and it exceeds the spread of either run's per-repetition
/// ratios (`(max − min) ÷ median` of `ratio_reps`): a change inside the noise is not flagged.
struct Comparison {
    /// One row present in both runs.
    struct Change {
        var key: String
        var old: Double
        var new: Double
        /// `new ÷ old`.
        var change: Double { new / old }
        /// The larger of the two runs' relative spreads, when both have 3 repetitions or more.
        var spread: Double?
        var significant: Bool { spread.map { abs(change - 1) > $0 } ?? false }
    }

    var changes: [Change] = []
    /// Rows of one run the other lacks.
    var onlyOld: [String] = []
    var onlyNew: [String] = []

    /// The rows of a `--json` file.
    static func rows(at path: String) throws -> [[String: Any]] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        guard let rows = try JSONSerialization.jsonObject(with: data) as? [[String: Any]] else {
            throw BenchError.setup("\(path) is not a mailslot-bench --json file (an array of rows)")
        }
        return rows
    }

    init(old: [[String: Any]], new: [[String: Any]]) {
        let before = Self.index(old), after = Self.index(new)
        for (key, row) in after.sorted(by: { $0.key < $1.key }) {
            guard let earlier = before[key] else { onlyNew.append(key); continue }
            guard let newRatio = row["ratio"] as? Double, let oldRatio = earlier["ratio"] as? Double, oldRatio > 0 else { continue }
            let spreads = [Self.spread(earlier), Self.spread(row)]
            let spread = spreads.contains { $0 == nil } ? nil : spreads.compactMap { $0 }.max()
            changes.append(Change(key: key, old: oldRatio, new: newRatio, spread: spread))
        }
        onlyOld = before.keys.filter { after[$0] == nil }.sorted()
    }

    /// Rows by `scenario | case | baseline`.
    private static func index(_ rows: [[String: Any]]) -> [String: [String: Any]] {
        var index: [String: [String: Any]] = [:]
        for row in rows {
            let key = [row["scenario"], row["case"], row["baseline"]].map { ($0 as? String) ?? "-" }.joined(separator: " | ")
            index[key] = row
        }
        return index
    }

    /// `(max − min) ÷ median` of the row's per-repetition ratios; nil with fewer than 3.
    private static func spread(_ row: [String: Any]) -> Double? {
        guard let reps = (row["ratio_reps"] as? [Any])?.compactMap({ ($0 as? Double) ?? ($0 as? Int).map(Double.init) }), reps.count >= 3 else {
            return nil
        }
        let sorted = reps.sorted()
        let median = sorted[sorted.count / 2]
        guard median > 0 else { return nil }
        return (sorted.last! - sorted.first!) / median
    }

    /// Rows whose significant change is a loss of more than `percent`.
    func regressions(over percent: Double) -> [Change] {
        changes.filter { $0.significant && $0.change < 1 - percent / 100 }
    }

    /// The comparison as a table: one line per row, `*` where the change is significant.
    func render() -> String {
        var lines = ["compare: change = new ratio ÷ old ratio; * = beyond the spread of both runs' repetitions (needs 3 or more)"]
        for change in changes {
            let spread = change.spread.map { "\(Table.fixed($0 * 100, 1))%" } ?? "n/a"
            let mark = change.significant ? (change.change < 1 ? "* slower" : "* faster") : ""
            lines.append(
                "\(change.key.padding(toLength: 64, withPad: " ", startingAt: 0)) \(Table.fixed(change.old, 2).leftPadded(6)) → "
                    + "\(Table.fixed(change.new, 2).leftPadded(6))  \(Table.fixed(change.change, 3).leftPadded(6))×  spread \(spread.leftPadded(7))  \(mark)")
        }
        for key in onlyOld { lines.append("\(key): only in the old run") }
        for key in onlyNew { lines.append("\(key): only in the new run") }
        return lines.joined(separator: "\n") + "\n"
    }
}

extension String {
    /// The text right-aligned in `width` characters.
    fileprivate func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
