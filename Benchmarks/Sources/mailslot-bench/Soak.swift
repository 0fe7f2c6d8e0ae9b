import CBaselines
import Glibc

/// The soak scenario: several writer processes offer twice the measured knee to one mailslot
/// for a long time, while the receiving process's RSS is sampled every second. It passes when
/// the accounting is exact (sent = delivered + refused + counted drops, nothing out of order)
/// and RSS stays flat after the warm-up.
extension ScenarioRunner {
    /// How much RSS may move after the warm-up before the soak fails.
    static let soakRSSAllowance = 32 << 20
    /// Samples (seconds) ignored at the start, while rings and buffers reach their working size.
    static let soakWarmup: UInt64 = 5

    /// Runs the soak. - Returns: `false` when the accounting or the memory bound failed.
    func soak(seconds: Double, writers: Int) throws(BenchError) -> Bool {
        let knee = try measuredMaximum()
        var trial = Trial(transport: .mailslot, payload: 424, mailslots: 1, writers: writers, seconds: seconds)
        trial.offeredRate = 2 * knee
        announce("soak", "\(Int(seconds)) s at 2× \(Table.rate(knee)) msg/s, \(writers) writers", "mailslot", 1)
        let started = cb_rss_sampler_start(1000, Self.soakWarmup)
        guard started == 0 else { throw .system("pthread_create", -started) }
        let outcome: Trial.Outcome
        do {
            serial += 1
            outcome = try trial.run(tally: tally, serial: serial, queues: queues)
        } catch {
            _ = cb_rss_sampler_stop()
            throw error
        }
        let samples = cb_rss_sampler_stop()
        var row = ResultRow(
            scenario: "soak", caseLabel: "424 B, \(writers) writers at 2× knee, \(Int(seconds)) s", payloadBytes: 424,
            mailslots: 1, writers: writers, offeredPerSecond: outcome.offeredPerSecond,
            deliveredPerSecond: outcome.deliveredPerSecond, lossPercent: outcome.lossPercent, p50: outcome.latency?.p50,
            p99: outcome.latency?.p99, p999: outcome.latency?.p999, rssBytes: Int(samples.last), baseline: "rss-flat",
            baselinePerSecond: nil, ratio: nil)
        row.takeCounts(of: outcome, unaccounted: outcome.unaccounted)
        row.targetPerSecond = trial.offeredRate
        row.rssMinimum = Int(samples.min)
        row.rssMaximum = Int(samples.max)
        row.rssSamples = Int(samples.measured)
        let growth = Int(samples.max) - Int(samples.min)
        let flat = samples.measured == 0 || growth <= Self.soakRSSAllowance
        let exact = outcome.unaccounted == 0 && outcome.outOfOrder == 0
        row.note = "RSS \(Table.bytes(Int(samples.min)))–\(Table.bytes(Int(samples.max))) over \(samples.measured) samples"
            + "; sent \(outcome.attempted) = delivered \(outcome.delivered) + refused \(outcome.writeErrors) + dropped \(outcome.countedDrops)"
            + (exact ? "" : " UNACCOUNTED \(outcome.unaccounted), out of order \(outcome.outOfOrder)")
            + (flat ? "" : " RSS GREW \(Table.bytes(growth))")
        append(row)
        stderr("soak: \(row.note ?? "")\n")
        return flat && exact
    }
}
