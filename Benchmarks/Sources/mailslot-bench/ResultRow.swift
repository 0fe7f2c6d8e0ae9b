import MailslotSupport

/// One row of results: the project's figure for one case next to one baseline's.
///
/// `--json FILE` writes every row with the fields below (the first fourteen are the contract
/// scripts rely on; the rest add detail), then the run's `profile`, `machine`, `version` and
/// `commit`. Rates are messages per second, latencies
/// microseconds, sizes bytes; a figure that does not apply is `null`.
struct ResultRow {
    var scenario: String
    var caseLabel: String
    var payloadBytes: Int
    var mailslots: Int
    var writers: Int
    var offeredPerSecond: Double?
    var deliveredPerSecond: Double?
    var lossPercent: Double?
    var p50: Double?
    var p99: Double?
    var p999: Double?
    var rssBytes: Int?
    var baseline: String
    var baselinePerSecond: Double?
    /// Ours ÷ baseline (rates: higher is better; scenario e: bytes ÷ budget, lower is better).
    var ratio: Double?
    /// Our side of the row: `mailslot`, `mailslot-shm`, `mailslot-udp`… (Transport's names).
    var transport = "mailslot"

    var sent: UInt64?
    var delivered: UInt64?
    var countedDrops: UInt64?
    var writeErrors: UInt64?
    /// Summed over every repetition: sent − delivered − counted drops − write errors.
    var unaccounted: Int64?
    /// Out of order per writer per mailslot: the FIFO promise, broken.
    var outOfOrder: UInt64?
    /// Reordered across a writer's mailslots: separate queues read interleaved (not a fault).
    var reorderedAcrossMailslots: UInt64?
    /// The ratio of each repetition (ours ÷ the baseline's run of the same repetition): its
    /// spread tells a change from noise (`--compare`).
    var ratioReps: [Double] = []
    var baselineLossPercent: Double?
    var baselineP99: Double?
    var repetitions: Int = 1
    var ratioToOneMailslot: Double?
    var rssPerMailslot: Double?
    var kernelSlabPerMailslot: Double?
    var note: String?
    /// CPU µs the receiving process spent per delivered message, ours and the baseline's, and
    /// theirs ÷ ours (higher is better for us): the receivers' cost when the writers, not the
    /// receivers, set the rate (scenario f on loopback).
    var receiverCPUMicroseconds: Double?
    var baselineReceiverCPUMicroseconds: Double?
    var cpuRatio: Double?
    /// Scenario d: the rate the writers were asked for (offered_per_s is what they achieved).
    var targetPerSecond: Double?
    /// Soak: the receiving process's RSS, sampled every second after a warm-up.
    var rssMinimum: Int?
    var rssMaximum: Int?
    var rssSamples: Int?
    /// Scenario g: each receiving host's delivered rate, ours and the baseline's, host by host.
    var hostDeliveredPerSecond: [Double] = []
    var baselineHostDeliveredPerSecond: [Double] = []

    /// Copies a trial's message counts into the row (`unaccounted` summed over repetitions).
    mutating func takeCounts(of outcome: Trial.Outcome, unaccounted: Int64) {
        sent = outcome.attempted
        delivered = outcome.delivered
        countedDrops = outcome.countedDrops
        writeErrors = outcome.writeErrors
        self.unaccounted = unaccounted
        outOfOrder = outcome.outOfOrder
        reorderedAcrossMailslots = outcome.reorderedAcrossMailslots
    }

    /// The row as ordered JSON fields.
    var jsonFields: [(String, JSONValue)] {
        [
            ("scenario", .string(scenario)), ("case", .string(caseLabel)), ("payload_bytes", .int(payloadBytes)),
            ("mailslots", .int(mailslots)), ("writers", .int(writers)), ("offered_per_s", .number(offeredPerSecond)),
            ("delivered_per_s", .number(deliveredPerSecond)), ("loss_pct", .number(lossPercent)),
            ("p50_us", .number(p50)), ("p99_us", .number(p99)), ("p999_us", .number(p999)),
            ("rss_bytes", rssBytes.map { .int($0) } ?? .null), ("baseline", .string(baseline)),
            ("baseline_per_s", .number(baselinePerSecond)), ("ratio", .number(ratio)),
            ("sent", .count(sent)), ("delivered", .count(delivered)), ("counted_drops", .count(countedDrops)),
            ("write_errors", .count(writeErrors)), ("unaccounted", unaccounted.map { .int(Int($0)) } ?? .null),
            ("out_of_order", .count(outOfOrder)), ("reordered_across_mailslots", .count(reorderedAcrossMailslots)),
            ("baseline_loss_pct", .number(baselineLossPercent)),
            ("baseline_p99_us", .number(baselineP99)), ("repetitions", .int(repetitions)),
            ("ratio_to_1_mailslot", .number(ratioToOneMailslot)), ("rss_per_mailslot_bytes", .number(rssPerMailslot)),
            ("kernel_slab_per_mailslot_bytes", .number(kernelSlabPerMailslot)),
            ("target_per_s", .number(targetPerSecond)), ("receiver_cpu_us_per_msg", .number(receiverCPUMicroseconds)),
            ("baseline_receiver_cpu_us_per_msg", .number(baselineReceiverCPUMicroseconds)), ("cpu_ratio", .number(cpuRatio)),
            ("rss_min_bytes", rssMinimum.map { .int($0) } ?? .null), ("rss_max_bytes", rssMaximum.map { .int($0) } ?? .null),
            ("rss_samples", rssSamples.map { .int($0) } ?? .null), ("note", note.map { .string($0) } ?? .null),
            ("ratio_reps", .numbers(ratioReps)), ("transport", .string(transport)),
            ("host_delivered_per_s", .numbers(hostDeliveredPerSecond)),
            ("baseline_host_delivered_per_s", .numbers(baselineHostDeliveredPerSecond)),
        ]
    }
}

/// The few JSON values rows need, written without Foundation.
enum JSONValue {
    case string(String)
    case int(Int)
    case number(Double?)
    case count(UInt64?)
    case numbers([Double])
    case null

    var text: String {
        switch self {
        case .string(let value): return JSONText.quoted(value)
        case .int(let value): return "\(value)"
        case .count(let value): return value.map { "\($0)" } ?? "null"
        case .number(let value):
            guard let value, value.isFinite else { return "null" }
            return (value * 1000).rounded() == value * 1000 ? "\(value)" : "\((value * 1000).rounded() / 1000)"
        case .numbers(let values): return "[" + values.map { JSONValue.number($0).text }.joined(separator: ", ") + "]"
        case .null: return "null"
        }
    }
}

extension Array where Element == ResultRow {
    /// The rows as a JSON array, one object per line, each also naming the run: its profile,
    /// the machine's facts (`machine`), the version and the commit.
    func json(profile: String, machine: String) -> String {
        let run = ", \"profile\": \(JSONText.quoted(profile)), \"machine\": \(JSONText.quoted(machine)), " + BuildInfo.jsonFields
        let objects = map { row in
            "  {" + row.jsonFields.map { "\"\($0.0)\": \($0.1.text)" }.joined(separator: ", ") + run + "}"
        }
        return "[\n" + objects.joined(separator: ",\n") + "\n]\n"
    }
}
