import CLibEv
import MailslotCore

// The loop-thread side of ``MailslotEngineThread``: servers it keeps for async callers, their
// message streams, and cancellable reads.
extension MailslotEngine {
    /// The server the engine thread keeps for `handle`. - Throws: ``/MailslotCore/MailslotError/invalidHandle``.
    func retainedServer(_ handle: SlotHandle) throws(MailslotError) -> MailslotServer {
        try table.retained(handle)
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
        table.releaseRetained(handle)?.close()
    }

    /// The engine thread is ending: every mailslot it kept closes.
    func closeEverythingRetained() {
        for handle in table.retainedHandles { closeRetained(handle) }
        streams.finishAll()
    }

    /// Withdraws a waiting read whose task was cancelled: it fails as aborted and will not
    /// take a message (one it already took is its result).
    func cancelRead(_ read: PendingRead) {
        guard read.isPending else { return }
        if let record = try? record(read.slot) { record.liveWaiters -= 1 }
        complete(read, .failure(.operationAborted("the read was cancelled")))
    }

    /// Keeps `server` for the engine thread's callers, who hold its handle only.
    func retainForThread(_ server: MailslotServer) {
        table.retain(server)
    }

    /// A stream's consumer took, cancelled or finished: its feeder on this loop acts on it.
    func handleStreamAction(_ action: StreamConsumerAction, for handle: SlotHandle) {
        streams.feeder(handle)?.handle(action)
    }

    /// A stream handed a batch of `count` messages over (for the metrics backend, if any).
    func noteStreamBatch(_ count: Int) {
        metrics?.recordStreamBatch(count)
    }

    /// Sets what runs the engine thread's queued jobs when its `ev_async` fires (`nil`: nothing).
    func setQueuedJobRunner(_ runner: (() -> Void)?) {
        eventLoop.runQueuedJobs = runner
    }

    /// Runs the engine thread's queued jobs (its `ev_async` fired).
    func runQueuedJobs() {
        eventLoop.runQueuedJobs?()
    }

    /// The handlers to run once the engine thread's loop has ended (each taken once).
    func takeThreadEndHandlers() -> [() -> Void] {
        eventLoop.takeThreadEndHandlers()
    }
}
