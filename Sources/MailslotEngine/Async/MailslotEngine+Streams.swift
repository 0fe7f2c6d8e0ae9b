import CLibEv
import MailslotCore

// The loop-thread side of ``MailslotEngineThread``: servers it keeps for async callers, their
// message streams, and cancellable reads.
extension MailslotEngine {
    func retainedServer(_ handle: SlotHandle) throws(MailslotError) -> MailslotServer {
        guard let server = retained[handle] else { throw .invalidHandle }
        return server
    }

    /// Starts a stream of the mailslot's messages (one at a time per mailslot).
    func startStream(_ handle: SlotHandle, state: MessageStreamState) throws(MailslotError) {
        let server = try retainedServer(handle)
        if let existing = streamFeeders[handle], !existing.ended {
            throw .busy("\(try record(handle).name.fullName) already has a message stream")
        }
        let feeder = MessageStreamFeeder(state: state, server: server)
        streamFeeders[handle] = feeder
        do { try feeder.startFeeding() } catch {
            streamFeeders[handle] = nil
            throw error
        }
    }

    /// A stream's batch has its first message: hand it over before the loop sleeps.
    func noteStreamPending(_ feeder: MessageStreamFeeder) {
        feeder.batchStarted = ev_now(loop)
        guard !feeder.isPending else { return }
        feeder.isPending = true
        pendingFeeders.append(feeder)
        if pendingFeeders.count == 1 { ev_prepare_start(loop, streamFlush) }
    }

    /// Hands pending batches over: from the `ev_prepare` watcher (once per loop iteration,
    /// when the loop has read what there was) and from the hold timer. A small batch whose
    /// consumer is parked may wait up to ``EngineConfiguration/streamBatchDelay`` for more
    /// messages, so one wake-up of the consumer's thread carries more of them.
    func flushStreams() {
        let feeders = pendingFeeders
        pendingFeeders.removeAll(keepingCapacity: true)
        ev_prepare_stop(loop, streamFlush)
        streamHoldTimer.stop()
        let now = ev_now(loop)
        let delay = configuration.streamBatchDelay
        var earliest = Double.infinity
        for feeder in feeders {
            let due = feeder.batchStarted + delay
            if delay > 0, now < due, feeder.hasPendingBatch, feeder.batchCount < configuration.streamBatchTarget,
                feeder.state.consumerWaiting
            {
                pendingFeeders.append(feeder)
                earliest = min(earliest, due)
            } else {
                feeder.isPending = false
                feeder.flush()
            }
        }
        guard !pendingFeeders.isEmpty else { return }
        streamHoldTimer.start(after: earliest - now)
    }

    /// A stream in drop mode had no room for a message: counted as queue-full.
    func countStreamDrop(_ handle: SlotHandle) {
        (try? record(handle))?.statistics.drops.queueFull &+= 1
    }

    /// A stream's consumer left with `count` messages it never took: counted as closed unread.
    func countStreamUnread(_ handle: SlotHandle, _ count: Int) {
        (try? record(handle))?.statistics.drops.closedUnread &+= UInt64(count)
    }

    /// Closes a mailslot kept for async callers: its stream gets its last batch and finishes;
    /// pending reads fail as aborted.
    func closeRetained(_ handle: SlotHandle) {
        streamFeeders.removeValue(forKey: handle)?.finish()
        retained.removeValue(forKey: handle)?.close()
    }

    /// The engine thread is ending: every mailslot it kept closes.
    func closeEverythingRetained() {
        for handle in Array(retained.keys) { closeRetained(handle) }
        for feeder in streamFeeders.values { feeder.finish() }
        streamFeeders.removeAll()
    }

    /// Withdraws a waiting read whose task was cancelled: it fails as aborted and will not
    /// take a message (one it already took is its result).
    func cancelRead(_ read: PendingRead) {
        guard read.isPending else { return }
        if let record = try? record(read.slot) { record.liveWaiters -= 1 }
        complete(read, .failure(.operationAborted("the read was cancelled")))
    }
}
