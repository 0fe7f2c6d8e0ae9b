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
        try streams.start(MessageStreamFeeder(state: state, server: server), for: handle, name: try record(handle).name.fullName)
    }

    /// A stream's batch has its first message: hand it over before the loop sleeps.
    func noteStreamPending(_ feeder: MessageStreamFeeder) {
        streams.notePending(feeder, now: ev_now(loop))
    }

    /// Hands pending batches over: from the watcher that runs before the loop blocks (once per
    /// iteration, when the loop has read what there was) and from the hold timer (see
    /// ``EngineConfiguration/streamBatchDelay``).
    func flushStreams() {
        streams.flush(now: ev_now(loop), delay: configuration.streamBatchDelay, target: configuration.streamBatchTarget)
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
        streams.finish(handle)
        retained.removeValue(forKey: handle)?.close()
    }

    /// The engine thread is ending: every mailslot it kept closes.
    func closeEverythingRetained() {
        for handle in Array(retained.keys) { closeRetained(handle) }
        streams.finishAll()
    }

    /// Withdraws a waiting read whose task was cancelled: it fails as aborted and will not
    /// take a message (one it already took is its result).
    func cancelRead(_ read: PendingRead) {
        guard read.isPending else { return }
        if let record = try? record(read.slot) { record.liveWaiters -= 1 }
        complete(read, .failure(.operationAborted("the read was cancelled")))
    }
}
