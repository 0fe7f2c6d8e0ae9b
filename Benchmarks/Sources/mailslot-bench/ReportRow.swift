/// One row of a `--json` run, as the report reads it back: the same fields as ``ResultRow``,
/// from the parsed JSON, so a report drawn from a saved file (`--from`) and one drawn from the
/// run that just ended are the same report. `index` is the row's place in the JSON array: the
/// report's marks name it (`data-rows`).
struct ReportRow {
    var index: Int
    var scenario: String
    var caseLabel: String
    var transport: String
    var baseline: String
    var payload: Int
    var mailslots: Int
    var writers: Int
    var delivered: Double?
    var baselineDelivered: Double?
    var ratio: Double?
    var target: Double?
    var loss: Double?
    var baselineLoss: Double?
    var p50: Double?, p99: Double?, p999: Double?
    var baselineP99: Double?
    var receiverCPU: Double?, baselineReceiverCPU: Double?
    var rssPerMailslot: Double?, kernelSlabPerMailslot: Double?
    var ratioToOneMailslot: Double?
    var hostRates: [Double], baselineHostRates: [Double]
    var note: String?
    var profile: String?, machine: String?, version: String?, commit: String?

    init(_ json: [String: Any], index: Int) {
        func text(_ key: String) -> String? { json[key] as? String }
        func number(_ key: String) -> Double? { (json[key] as? Double) ?? (json[key] as? Int).map(Double.init) }
        func numbers(_ key: String) -> [Double] { (json[key] as? [Any])?.compactMap { ($0 as? Double) ?? ($0 as? Int).map(Double.init) } ?? [] }
        self.index = index
        scenario = text("scenario") ?? "?"
        caseLabel = text("case") ?? "?"
        // Runs saved before rows named their transport: ours is the project's socket path.
        transport = text("transport") ?? "mailslot"
        baseline = text("baseline") ?? "?"
        payload = Int(number("payload_bytes") ?? 0)
        mailslots = Int(number("mailslots") ?? 0)
        writers = Int(number("writers") ?? 0)
        delivered = number("delivered_per_s")
        baselineDelivered = number("baseline_per_s")
        ratio = number("ratio")
        target = number("target_per_s")
        loss = number("loss_pct")
        baselineLoss = number("baseline_loss_pct")
        p50 = number("p50_us")
        p99 = number("p99_us")
        p999 = number("p999_us")
        baselineP99 = number("baseline_p99_us")
        receiverCPU = number("receiver_cpu_us_per_msg")
        baselineReceiverCPU = number("baseline_receiver_cpu_us_per_msg")
        rssPerMailslot = number("rss_per_mailslot_bytes")
        kernelSlabPerMailslot = number("kernel_slab_per_mailslot_bytes")
        ratioToOneMailslot = number("ratio_to_1_mailslot")
        hostRates = numbers("host_delivered_per_s")
        baselineHostRates = numbers("baseline_host_delivered_per_s")
        note = text("note")
        profile = text("profile")
        machine = text("machine")
        version = text("version")
        commit = text("commit")
    }

    /// Every row of a parsed `--json` array.
    static func rows(_ json: [[String: Any]]) -> [ReportRow] {
        json.enumerated().map { ReportRow($1, index: $0) }
    }
}
