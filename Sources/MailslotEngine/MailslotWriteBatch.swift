import CLibEv
import Glibc
import MailslotCore

/// Messages gathered for one batched write (`sendmmsg`): a high-volume writer fills a batch and
/// hands it to `MailslotClient.write(_:waitingUpTo:)`, paying one system call per batch instead
/// of one per message.
///
/// A batch owns all its memory, allocated once: `capacity` message buffers of
/// `maxMessageSize` bytes each, and the headers the kernel reads. Filling and sending it
/// allocates nothing. Messages are written in place with ``append(length:_:)`` (or copied
/// in with ``append(_:)``); messages a write could not send stay queued in the batch, in order.
///
/// Not thread-safe: use one batch from one thread at a time.
public final class MailslotWriteBatch {
    /// The most messages the batch holds.
    public let capacity: Int
    /// The largest message the batch holds.
    public let maxMessageSize: Int
    /// Index of the first message not yet sent.
    private(set) var start = 0
    /// Index after the last message appended.
    private(set) var end = 0
    /// Headers and one buffer of ``maxMessageSize`` bytes per message.
    private let vector: MessageVector

    /// Makes an empty batch.
    /// - Parameters:
    ///   - capacity: messages per batch (at least 1; 32 is where the kernel's gain levels off).
    ///   - maxMessageSize: the largest message to be appended (at most
    ///     ``/MailslotCore/MessageSizeLimit/local``).
    public init(capacity: Int = 32, maxMessageSize: Int = MessageSizeLimit.local) {
        self.capacity = max(1, capacity)
        self.maxMessageSize = min(max(0, maxMessageSize), MessageSizeLimit.local)
        vector = MessageVector(capacity: self.capacity, bufferStride: self.maxMessageSize)
    }

    /// Messages appended and not yet sent.
    public var count: Int { end - start }

    /// `true` when no message is waiting to be sent.
    public var isEmpty: Bool { start == end }

    /// `true` when no further message fits.
    public var isFull: Bool { end == capacity }

    /// Appends a message written in place: `fill` gets the message's buffer
    /// (``maxMessageSize`` bytes) and returns how many bytes it wrote.
    /// - Returns: `false` (and `fill` is not called) when the batch is full.
    @discardableResult
    public func append(length maximum: Int? = nil, _ fill: (UnsafeMutableRawBufferPointer) -> Int) -> Bool {
        guard end < capacity else { return false }
        let buffer = vector.buffer(end)
        let length = fill(UnsafeMutableRawBufferPointer(start: buffer, count: min(maximum ?? maxMessageSize, maxMessageSize)))
        precondition(length >= 0 && length <= maxMessageSize, "a batch message cannot outgrow its buffer")
        vector.setPart(end, 0, buffer, length: length)
        vector.setHeader(end, parts: 1)
        end += 1
        return true
    }

    /// Appends a copy of `bytes`.
    /// - Returns: `false` when the batch is full.
    /// - Throws: ``/MailslotCore/MailslotError/messageTooLarge(size:limit:)`` when `bytes` is larger than
    ///   ``maxMessageSize``.
    @discardableResult
    public func append(_ bytes: UnsafeRawBufferPointer) throws(MailslotError) -> Bool {
        guard bytes.count <= maxMessageSize else { throw .messageTooLarge(size: bytes.count, limit: maxMessageSize) }
        return append { buffer in
            if let base = buffer.baseAddress, let source = bytes.baseAddress {
                base.copyMemory(from: source, byteCount: bytes.count)
            }
            return bytes.count
        }
    }

    /// Drops every message not yet sent.
    public func removeAll() {
        start = 0
        end = 0
    }

    /// The length of the `offset`-th message waiting to be sent.
    func length(at offset: Int) -> Int { vector.part(start + offset, 0).iov_len }

    /// Marks the first `sent` waiting messages as sent; an emptied batch starts over.
    func markSent(_ sent: Int) {
        start += sent
        if start == end { removeAll() }
    }

    /// The `offset`-th message waiting to be sent.
    func message(at offset: Int) -> UnsafeRawBufferPointer {
        let part = vector.part(start + offset, 0)
        return UnsafeRawBufferPointer(start: part.iov_base, count: part.iov_len)
    }

    /// `sendmmsg` of the messages waiting to be sent, not blocking.
    func sendPending(_ fd: Int32) throws(SyscallError) -> IOResult<Int32> {
        try vector.send(fd, from: start, count: count, blocking: false)
    }
}
