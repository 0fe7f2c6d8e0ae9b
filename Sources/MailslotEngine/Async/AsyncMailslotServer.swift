import MailslotCore

/// A mailslot server owned by a ``MailslotEngineThread``, usable from any task.
public struct AsyncMailslotServer: Sendable {
    let thread: MailslotEngineThread
    let handle: SlotHandle

    /// Reads the next message (a copy), waiting per the read timeout without blocking a thread.
    ///
    /// Cancelling the task withdraws the read: it fails with
    /// ``/MailslotCore/MailslotError/operationAborted(_:)`` and never takes a message later (a message that
    /// arrived before the withdrawal is returned instead, not lost).
    /// - Throws: ``/MailslotCore/MailslotError/timeout``; ``/MailslotCore/MailslotError/operationAborted(_:)`` when cancelled,
    ///   when the mailslot closes while the read waits, or after the thread shut down;
    ///   ``/MailslotCore/MailslotError/invalidHandle`` after close.
    public func read() async throws(MailslotError) -> [UInt8] {
        try await readWithOrigin().bytes
    }

    /// Reads the next message with its origin (`nil` for a local one); as ``read()``.
    public func readWithOrigin() async throws(MailslotError) -> (bytes: [UInt8], origin: MessageOrigin?) {
        let handle = self.handle
        let thread = self.thread
        let ticket = ReadTicket()
        let result: Result<([UInt8], MessageOrigin?), MailslotError> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let submitted = thread.execute { engine in
                    let read = engine.enqueueRead(handle) { continuation.resume(returning: $0) }
                    if ticket.attach(read) { engine.cancelRead(read) }
                }
                if !submitted { continuation.resume(returning: .failure(EngineThreadCore.stopped)) }
            }
        } onCancel: {
            if let read = ticket.cancel() {
                thread.execute { engine in engine.cancelRead(read) }
            }
        }
        let (bytes, origin) = try result.get()
        return (bytes, origin)
    }

    /// The mailslot's messages as an async sequence: `for await message in try await
    /// server.messages() { … }`. See ``MailslotMessages`` for batching, back-pressure,
    /// cancellation and the end of the stream. One stream per mailslot at a time; a mailslot
    /// with a stream has no callback of its own.
    /// - Parameters:
    ///   - buffer: messages the stream holds for a consumer that lags (at least 1).
    ///   - whenFull: what the engine does while the buffer is full.
    /// - Throws: ``/MailslotCore/MailslotError/invalidHandle`` after close; ``/MailslotCore/MailslotError/busy(_:)`` when a
    ///   stream already reads the mailslot; ``/MailslotCore/MailslotError/operationAborted(_:)`` after shutdown.
    public func messages(buffer: Int = 1024, whenFull: MailslotMessages.WhenFull = .pushBack) async throws(MailslotError)
        -> MailslotMessages
    {
        let handle = self.handle
        let thread = self.thread
        let state = MessageStreamState(limit: max(1, buffer), whenFull: whenFull)
        // The core, not the public thread object: the stream must not keep the thread alive.
        let core = thread.core
        state.onConsumerAction = { action in
            _ = core.submit(.init(run: { engine in engine.handleStreamAction(action, for: handle) }, abort: {}))
        }
        try await thread.run { engine in
            Result { () throws(MailslotError) in try engine.startStream(handle, state: state) }
        }.get()
        return MailslotMessages(state: state)
    }

    /// What `GetMailslotInfo` reports.
    public func info() async throws(MailslotError) -> MailslotInfo {
        let handle = self.handle
        return try await thread.run { engine in
            Result { () throws(MailslotError) in try engine.retainedServer(handle).info() }
        }.get()
    }

    /// The mailslot's counters.
    public func statistics() async throws(MailslotError) -> MailslotStatistics {
        let handle = self.handle
        return try await thread.run { engine in
            Result { () throws(MailslotError) in try engine.retainedServer(handle).statistics() }
        }.get()
    }

    /// Changes the read timeout for later reads.
    public func setReadTimeout(_ timeout: ReadTimeout) async throws(MailslotError) {
        let handle = self.handle
        try await thread.run { engine in
            Result { () throws(MailslotError) in try engine.retainedServer(handle).setReadTimeout(timeout) }
        }.get()
    }

    /// Closes the mailslot: pending reads fail with ``/MailslotCore/MailslotError/operationAborted(_:)``, and
    /// its stream finishes once the consumer has taken what it holds. Does nothing after
    /// shutdown (which closed it).
    public func close() async {
        let handle = self.handle
        _ = try? await thread.run { engine in engine.closeRetained(handle) }
    }

    /// Closes the mailslot once what it already received has been delivered (to its stream,
    /// reads or callback), or after `bound`, whichever comes first; returns at once. Messages
    /// still undelivered then count as ``/MailslotCore/DropCounters/closedUnread``. The way for a consumer to
    /// end its stream on a graceful shutdown without losing what writers already sent.
    public func close(drainingWithin bound: Duration) {
        let handle = self.handle
        let seconds = Double(bound.components.seconds) + Double(bound.components.attoseconds) / 1e18
        thread.execute { engine in engine.closeWhenDrained(handle, within: seconds) }
    }
}

/// Connects a cancellable read on a task with the ``PendingRead`` the loop made for it,
/// whichever of the two (cancel, or the loop's enqueue) comes first.
final class ReadTicket: Sendable {
    private struct State {
        var read: PendingRead?
        var cancelled = false
    }
    private let state = ThreadLock(State())

    /// The loop made its read. - Returns: `true` when the task was cancelled already (cancel
    /// it now).
    func attach(_ read: PendingRead) -> Bool {
        state.withLock { state in
            state.read = read
            return state.cancelled
        }
    }

    /// The task was cancelled. - Returns: the read to cancel, if the loop made it already.
    func cancel() -> PendingRead? {
        state.withLock { state in
            state.cancelled = true
            return state.read
        }
    }
}
