import CBaselines
import Histogram

/// The receiver-side tally of one trial (a `cb_tally` shared by every receiver, ours and the
/// baselines'), with its latency log allocated and touched once so trials do not pay for it.
final class Tally {
    let pointer: UnsafeMutablePointer<cb_tally>
    private let latencies: UnsafeMutableBufferPointer<UInt32>
    /// Order per writer per mailslot: `CB_MAX_WRITERS × slotCapacity` next sequence numbers.
    private let slotSequences: UnsafeMutableBufferPointer<UInt32>
    /// Mailslots per writer told apart (scenario c's largest count, with room).
    static let slotCapacity = 16_384

    init(latencyCapacity: Int) {
        latencies = .allocate(capacity: latencyCapacity)
        latencies.initialize(repeating: 0)
        slotSequences = .allocate(capacity: Int(CB_MAX_WRITERS) * Self.slotCapacity)
        slotSequences.initialize(repeating: 0)
        pointer = .allocate(capacity: 1)
        reset()
    }

    deinit {
        latencies.deallocate()
        slotSequences.deallocate()
        pointer.deallocate()
    }

    /// Clears the counters before a trial.
    func reset() {
        var fresh = cb_tally()
        fresh.latencies = latencies.baseAddress
        fresh.latency_capacity = UInt64(latencies.count)
        slotSequences.update(repeating: 0)
        fresh.slot_next_seq = slotSequences.baseAddress
        fresh.slot_capacity = UInt64(Self.slotCapacity)
        pointer.initialize(to: fresh)
    }

    var received: UInt64 { pointer.pointee.received }
    /// Out of order per writer per mailslot: a broken FIFO promise.
    var outOfOrder: UInt64 { pointer.pointee.out_of_order }
    /// Reordered across a writer's mailslots (separate queues): not a fault.
    var reorderedAcrossMailslots: UInt64 { pointer.pointee.reordered_across_mailslots }

    /// Messages per second from the first to the last message received.
    var deliveredPerSecond: Double {
        let tally = pointer.pointee
        guard tally.received > 1, tally.last_ns > tally.first_ns else { return 0 }
        return Double(tally.received - 1) / (Double(tally.last_ns - tally.first_ns) / 1e9)
    }

    /// Write→read latency percentiles in microseconds (p50, p99, p99.9).
    func latencyPercentiles() -> (p50: Double, p99: Double, p999: Double)? {
        let count = Int(min(pointer.pointee.received, pointer.pointee.latency_capacity))
        guard count > 0 else { return nil }
        var histogram = Histogram<UInt64>(lowestDiscernibleValue: 100, highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
        for index in 0..<count { _ = histogram.record(UInt64(max(latencies[index], 100))) }
        func micros(_ percentile: Double) -> Double { Double(histogram.valueAtPercentile(percentile)) / 1000 }
        return (micros(50), micros(99), micros(99.9))
    }
}
