import MailslotCore

/// The loop-thread side of every ``MailslotMessages`` stream of an engine: the feeder of each
/// mailslot's stream, the streams whose batch waits to be handed over, and the two watchers that
/// hand batches over (before the loop blocks, and when a held batch's delay is up). Its state is
/// its own; the engine asks it for a mailslot's feeder and tells it when a batch starts.
final class StreamHub {
    private var feeders: [SlotHandle: MessageStreamFeeder] = [:]
    /// Streams with a batch to hand over before the loop sleeps.
    private var pending: [MessageStreamFeeder] = []
    private let flushBeforeBlocking: LoopPrepare
    private let holdTimer: LoopTimer

    /// A hub whose watchers run `flush` on `loop`.
    init(loop: OpaquePointer, flush: @escaping () -> Void) {
        flushBeforeBlocking = LoopPrepare(loop: loop, flush)
        holdTimer = LoopTimer(loop: loop, flush)
    }

    /// The feeder of `handle`'s stream, if it has one.
    func feeder(_ handle: SlotHandle) -> MessageStreamFeeder? { feeders[handle] }

    /// Makes `feeder` the stream of `handle` and starts it.
    /// - Throws: ``/MailslotCore/MailslotError/busy(_:)`` when the mailslot has a live stream
    ///   already (`name` says which), or what starting the feeder throws.
    func start(_ feeder: MessageStreamFeeder, for handle: SlotHandle, name: String) throws(MailslotError) {
        if let existing = feeders[handle], !existing.ended { throw .busy("\(name) already has a message stream") }
        feeders[handle] = feeder
        do { try feeder.startFeeding() } catch {
            feeders[handle] = nil
            throw error
        }
    }

    /// A stream's batch has its first message (at loop time `now`): it is handed over before the
    /// loop blocks.
    func notePending(_ feeder: MessageStreamFeeder, now: Double) {
        feeder.batchStarted = now
        guard !feeder.isPending else { return }
        feeder.isPending = true
        pending.append(feeder)
        if pending.count == 1 { flushBeforeBlocking.start() }
    }

    /// Hands pending batches over, at loop time `now`. A small batch whose consumer is parked
    /// may wait up to `delay` seconds for more (while under `target` messages), so one wake-up
    /// of the consumer's thread carries more of them.
    func flush(now: Double, delay: Double, target: Int) {
        let feeders = pending
        pending.removeAll(keepingCapacity: true)
        flushBeforeBlocking.stop()
        holdTimer.stop()
        var earliest = Double.infinity
        for feeder in feeders {
            let due = feeder.batchStarted + delay
            if delay > 0, now < due, feeder.hasPendingBatch, feeder.batchCount < target, feeder.state.consumerWaiting {
                pending.append(feeder)
                earliest = min(earliest, due)
            } else {
                feeder.isPending = false
                feeder.flush()
            }
        }
        guard !pending.isEmpty else { return }
        holdTimer.start(after: earliest - now)
    }

    /// Ends `handle`'s stream: it gets its last batch and finishes.
    func finish(_ handle: SlotHandle) {
        feeders.removeValue(forKey: handle)?.finish()
    }

    /// Ends every stream.
    func finishAll() {
        for feeder in feeders.values { feeder.finish() }
        feeders.removeAll()
    }

    /// Stops the watchers (the engine is going).
    func stop() {
        flushBeforeBlocking.stop()
        holdTimer.stop()
    }
}
