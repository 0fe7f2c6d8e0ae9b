import CLibEv
import MailslotCore

/// The loop-thread side of a ``MailslotMessages`` stream: the mailslot's callback collects
/// messages into a batch, which is handed over before the loop sleeps again (the engine's
/// `ev_prepare` watcher) or when it reaches ``batchLimit``.
final class MessageStreamFeeder {
    /// Messages per batch at most.
    static let batchLimit = 256

    let state: MessageStreamState
    let server: MailslotServer
    private var batch = MessageBatch()
    /// Messages buffered in the stream at the last hand-over (drop mode's estimate).
    private var knownBuffered = 0
    private var dropsSinceLook = 0
    /// `true` while the mailslot's callback feeds this stream.
    private(set) var feeding = false
    /// `true` once the stream has ended (closed, or its consumer left).
    private(set) var ended = false

    init(state: MessageStreamState, server: MailslotServer) {
        self.state = state
        self.server = server
    }

    var hasPendingBatch: Bool { batch.count > 0 }
    /// Messages in the batch being collected.
    var batchCount: Int { batch.count }
    /// Loop time (`ev_now`) of the batch's first message.
    var batchStarted: Double = 0
    /// `true` while the engine's list of streams to hand over holds this one.
    var isPending = false
    /// The size of the last batch handed over: the room the next one reserves.
    private var nextReservation: (messages: Int, bytes: Int)?

    /// Installs the mailslot's callback (which serves what is queued already).
    func startFeeding() throws(MailslotError) {
        guard !ended, !feeding else { return }
        feeding = true
        try server.onMessageWithOrigin { [unowned self] bytes, origin in self.take(bytes, origin: origin) }
    }

    /// Removes the callback: messages stay queued in the mailslot.
    func stopFeeding() {
        guard feeding else { return }
        feeding = false
        try? server.onMessageWithOrigin(nil)
    }

    private func take(_ bytes: RawSpan, origin: MessageOrigin?) {
        if state.whenFull == .drop, knownBuffered + batch.count >= state.limit {
            dropsSinceLook += 1
            if dropsSinceLook >= 64 {
                dropsSinceLook = 0
                knownBuffered = state.buffered
            }
            if knownBuffered + batch.count >= state.limit {
                server.engine.countStreamDrop(server.handle)
                return
            }
        }
        if batch.count == 0, let (messages, byteCount) = nextReservation {
            batch = MessageBatch(reserving: messages, bytes: byteCount)
            nextReservation = nil
        }
        batch.append(bytes, origin: origin)
        if batch.count == 1 { server.engine.noteStreamPending(self) }
        if batch.count >= Self.batchLimit || (state.whenFull == .pushBack && knownBuffered + batch.count >= state.limit) {
            flush()
        }
    }

    /// Hands the collected batch to the consumer.
    func flush() {
        guard batch.count > 0 else { return }
        let outgoing = batch
        // The next batch starts with the room this one needed (allocated when it gets its
        // first message, not before).
        batch = MessageBatch()
        nextReservation = (outgoing.count, outgoing.bytes.count)
        server.engine.noteStreamBatch(outgoing.count)
        switch state.push(outgoing, pauseAt: state.whenFull == .pushBack ? state.limit : nil) {
        case .accepted(let buffered):
            knownBuffered = buffered
        case .acceptedAndPaused(let buffered):
            knownBuffered = buffered
            stopFeeding()
        case .gone:
            end(unread: outgoing.count)
        }
    }

    /// What the consumer asked for.
    func handle(_ action: StreamConsumerAction) {
        switch action {
        case .resume:
            knownBuffered = state.buffered
            try? startFeeding()
        case .cancelled(let unread):
            end(unread: unread + batch.count)
            batch = MessageBatch()
        }
    }

    /// The mailslot is closing: the last batch goes, then the stream finishes.
    func finish() {
        flush()
        ended = true
        feeding = false
        state.finish()
    }

    /// The consumer left: stop feeding and count what it never took.
    private func end(unread: Int) {
        guard !ended else { return }
        stopFeeding()
        ended = true
        server.engine.countStreamUnread(server.handle, unread)
    }
}
