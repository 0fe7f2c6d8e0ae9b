/// The headline ratios and their targets, as `docs/benchmarking.md` ("Targets") lists them:
/// what the report's summary marks met or not. Each is a same-run ratio, read from the rows.
struct Target {
    /// What is measured, as the summary says it.
    var name: String
    /// The target, as the summary says it (`≥ 0.9×`).
    var goal: String
    /// The rows the target reads (by scenario and case), and against which baseline.
    var scenario: String
    var caseLabel: String
    var baseline: String
    /// Whether a row's case is this target's (its label, unless said otherwise).
    var caseMatches: ((String) -> Bool)? = nil
    /// The row's figure: its ratio unless said otherwise.
    var figure: (ReportRow) -> Double? = { $0.ratio }
    /// Whether a figure meets the target.
    var meets: (Double) -> Bool

    /// Every headline target.
    static var all: [Target] {
        [
            Target(
                name: "a: 424 B, 1 writer, by socket, vs C AF_UNIX", goal: "≥ 0.9×", scenario: "a", caseLabel: "424 B, 1 writer",
                baseline: "c-af-unix", meets: { $0 >= 0.9 }),
            Target(
                name: "a: 424 B, 1 writer, shared memory, vs c-shm-mpsc", goal: "≥ 0.9×", scenario: "a",
                caseLabel: "424 B, 1 writer, shared memory", baseline: "c-shm-mpsc", meets: { $0 >= 0.9 }),
            Target(
                name: "b: 424 B, 8 writers, shared memory, vs c-shm-mpsc", goal: "≥ 0.9×", scenario: "b",
                caseLabel: "424 B, 8 writers, shared memory", baseline: "c-shm-mpsc", meets: { $0 >= 0.9 }),
            Target(
                name: "a: C WriteFile/ReadFile vs the Swift API", goal: "≥ 0.9×", scenario: "a",
                caseLabel: "424 B, 1 writer, C WriteFile/ReadFile", baseline: "mailslot-read", meets: { $0 >= 0.9 }),
            Target(
                name: "a: C msl_send/msl_recv vs the Swift API", goal: "≥ 0.9×", scenario: "a",
                caseLabel: "424 B, 1 writer, C msl_send/msl_recv", baseline: "mailslot-read", meets: { $0 >= 0.9 }),
            Target(
                name: "c: 10,000 mailslots vs 1 mailslot", goal: "≥ 0.9×", scenario: "c", caseLabel: "424 B, 2 writers over 10000",
                baseline: "c-af-unix", figure: { $0.ratioToOneMailslot }, meets: { $0 >= 0.9 }),
            Target(
                name: "e: bytes per idle mailslot (100,000) vs 2 KiB", goal: "≤ 1.0×", scenario: "e", caseLabel: "100000 idle mailslots",
                baseline: "budget-2KiB", meets: { $0 <= 1 }),
        ] + [1, 1000, 10_000].map { count in
            Target(
                name: "f: UDP drain over \(count) mailslot\(count == 1 ? "" : "s") vs c-msmail", goal: "≥ 0.9×", scenario: "f",
                caseLabel: "UDP drain over \(count)", baseline: "c-msmail",
                caseMatches: { $0.hasPrefix("UDP drain of ") && $0.hasSuffix(" over \(count)") }, meets: { $0 >= 0.9 })
        }
    }

    /// What the rows say about this target: the figure, or `nil` when the run did not measure it.
    func figure(in rows: [ReportRow]) -> (value: Double, row: ReportRow)? {
        guard let row = rows.first(where: {
            $0.scenario == scenario && (caseMatches?($0.caseLabel) ?? ($0.caseLabel == caseLabel)) && $0.baseline == baseline
        }),
            let value = figure(row)
        else { return nil }
        return (value, row)
    }
}
