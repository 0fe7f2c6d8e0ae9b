import MailslotCore

/// One message of a ``MailslotMessages`` stream.
public struct MailslotMessage: Sendable {
    /// The message's bytes: a slice of its batch's storage (one allocation per batch, not per
    /// message).
    public let bytes: ArraySlice<UInt8>
    /// Where it came from: `nil` for a local writer, the sender's address and NetBIOS names for
    /// a message from another computer.
    public let origin: MessageOrigin?
}

/// A mailslot's messages as an `AsyncSequence` (from ``AsyncMailslotServer/messages(buffer:whenFull:)``).
///
/// - **Batches.** The loop thread collects messages as it delivers them and hands them over
///   once per loop iteration (or every 256 messages), one cross-thread hop per batch.
/// - **Bounded, with back-pressure.** The stream holds at most `buffer` messages for a consumer
///   that lags. With ``WhenFull/pushBack`` (the default) the engine then stops taking the
///   mailslot's messages: they wait in its queue, and once that is full local writers get
///   queue-full (`ERROR_NOT_ENOUGH_QUOTA`), as Win32 promises. Reading resumes when the
///   consumer has taken half. With ``WhenFull/drop`` the engine keeps reading and drops what
///   does not fit, counting it as ``/MailslotCore/DropCounters/queueFull``.
/// - **Cancellation.** Cancelling the consuming task ends the stream (`next()` returns `nil`)
///   and stops the engine feeding it: later messages stay in the mailslot for other readers.
///   Messages already handed to the stream and not yet taken are counted as
///   ``/MailslotCore/DropCounters/closedUnread`` of the mailslot.
/// - **The end.** When the mailslot closes (or its engine thread shuts down), the stream
///   finishes after the consumer has taken what it holds.
///
/// One consumer at a time: iterate it from one task.
public struct MailslotMessages: AsyncSequence, Sendable {
    public typealias Element = MailslotMessage

    /// What the engine does while the stream's buffer is full.
    public enum WhenFull: Sendable {
        /// Stop reading the mailslot: messages wait in its queue; writers are pushed back.
        case pushBack
        /// Keep reading and drop what does not fit, counted as queue-full.
        case drop
    }

    let state: MessageStreamState

    public func makeAsyncIterator() -> Iterator { Iterator(state: state) }

    /// Takes the stream's messages in order.
    public struct Iterator: AsyncIteratorProtocol {
        let state: MessageStreamState
        var batch: MessageBatch?
        var index = 0

        /// The next message, or `nil` once the mailslot closed (and everything was taken) or the
        /// task was cancelled.
        public mutating func next() async -> MailslotMessage? {
            if let batch, index < batch.count {
                defer { index += 1 }
                return batch.message(index)
            }
            batch = nil
            guard !Task.isCancelled else {
                state.cancel()
                return nil
            }
            let state = self.state
            let next = await withTaskCancellationHandler {
                await state.nextBatch()
            } onCancel: {
                state.cancel()
            }
            guard let next, next.count > 0 else { return nil }
            batch = next
            index = 1
            return next.message(0)
        }
    }
}

/// Messages handed over together: their bytes back to back in one array.
struct MessageBatch: Sendable {
    var bytes: [UInt8] = []
    var ends: [Int] = []
    var origins: [MessageOrigin?] = []

    var count: Int { ends.count }

    init() {}

    /// An empty batch with room for `messages` messages of `bytes` bytes in all: three
    /// allocations for the whole batch, none while it fills up to that size.
    init(reserving messages: Int, bytes byteCount: Int) {
        bytes.reserveCapacity(byteCount)
        ends.reserveCapacity(messages)
        origins.reserveCapacity(messages)
    }

    mutating func append(_ message: RawSpan, origin: MessageOrigin?) {
        message.withUnsafeBytes { bytes.append(contentsOf: $0) }
        ends.append(bytes.count)
        origins.append(origin)
    }

    func message(_ index: Int) -> MailslotMessage {
        let start = index == 0 ? 0 : ends[index - 1]
        return MailslotMessage(bytes: bytes[start..<ends[index]], origin: origins[index])
    }
}

/// What the consumer tells the loop thread.
enum StreamConsumerAction: Sendable {
    /// It took enough that reading may resume.
    case resume
    /// It went away (cancelled): stop feeding.
    case cancelled(unread: Int)
}

/// The hand-over between the loop thread (which pushes batches) and the consuming task.
final class MessageStreamState: Sendable {
    private struct State {
        var batches: [MessageBatch] = []
        var firstBatch = 0
        var buffered = 0
        var finished = false
        var cancelled = false
        var paused = false
        var waiter: CheckedContinuation<MessageBatch?, Never>?
    }

    let limit: Int
    let whenFull: MailslotMessages.WhenFull
    private let state = ThreadLock(State())
    private let action = ThreadLock<(@Sendable (StreamConsumerAction) -> Void)?>(nil)

    init(limit: Int, whenFull: MailslotMessages.WhenFull) {
        self.limit = limit
        self.whenFull = whenFull
    }

    /// How the consumer reaches the loop thread (set once, before the stream starts).
    var onConsumerAction: (@Sendable (StreamConsumerAction) -> Void)? {
        get { action.withLock { $0 } }
        set { action.withLock { $0 = newValue } }
    }

    /// Messages handed over and not yet taken.
    var buffered: Int { state.withLock { $0.buffered } }

    /// Whether the consumer is parked, waiting for a batch (handing one over wakes its thread).
    var consumerWaiting: Bool { state.withLock { $0.waiter != nil } }

    /// What a hand-over found.
    enum PushOutcome {
        /// Taken; `buffered` messages wait for the consumer now.
        case accepted(buffered: Int)
        /// Taken, and the buffer reached the pause mark: stop reading until the consumer asks
        /// to resume (it does once it has taken half).
        case acceptedAndPaused(buffered: Int)
        /// The consumer is gone.
        case gone
    }

    /// Loop thread: hands over a batch; with `pauseAt`, decides in the same step whether
    /// reading pauses, so the consumer cannot miss the pause.
    func push(_ batch: MessageBatch, pauseAt: Int?) -> PushOutcome {
        let (outcome, waiter): (PushOutcome, CheckedContinuation<MessageBatch?, Never>?) = state.withLock { state in
            guard !state.cancelled, !state.finished else { return (.gone, nil) }
            if let waiter = state.waiter {
                state.waiter = nil
                return (.accepted(buffered: state.buffered), waiter)
            }
            state.batches.append(batch)
            state.buffered += batch.count
            if let pauseAt, state.buffered >= pauseAt {
                state.paused = true
                return (.acceptedAndPaused(buffered: state.buffered), nil)
            }
            return (.accepted(buffered: state.buffered), nil)
        }
        waiter?.resume(returning: batch)
        return outcome
    }

    /// Loop thread: the mailslot closed; the consumer gets what is buffered, then `nil`.
    func finish() {
        let waiter = state.withLock { state -> CheckedContinuation<MessageBatch?, Never>? in
            state.finished = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
    }

    /// Consumer: the next batch, waiting for one; `nil` at the end.
    func nextBatch() async -> MessageBatch? {
        await withCheckedContinuation { continuation in
            var resume = false
            let (batch, done): (MessageBatch?, Bool) = state.withLock { state in
                if state.firstBatch < state.batches.count {
                    let batch = state.batches[state.firstBatch]
                    state.firstBatch += 1
                    state.buffered -= batch.count
                    if state.firstBatch == state.batches.count {
                        state.batches.removeAll(keepingCapacity: true)
                        state.firstBatch = 0
                    }
                    if state.paused, state.buffered <= limit / 2 {
                        state.paused = false
                        resume = true
                    }
                    return (batch, true)
                }
                if state.finished || state.cancelled { return (nil, true) }
                state.waiter = continuation
                return (nil, false)
            }
            if resume { onConsumerAction?(.resume) }
            if done { continuation.resume(returning: batch) }
        }
    }

    /// Consumer: the task was cancelled; the stream ends and the loop stops feeding it.
    func cancel() {
        let (waiter, unread, first): (CheckedContinuation<MessageBatch?, Never>?, Int, Bool) = state.withLock { state in
            let first = !state.cancelled && !state.finished
            state.cancelled = true
            let unread = state.buffered
            state.batches = []
            state.firstBatch = 0
            state.buffered = 0
            defer { state.waiter = nil }
            return (state.waiter, unread, first)
        }
        waiter?.resume(returning: nil)
        if first { onConsumerAction?(.cancelled(unread: unread)) }
    }
}
