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
    let headers: UnsafeMutablePointer<CLibEv_mmsghdr>
    private let iovecs: UnsafeMutablePointer<iovec>
    private let storage: UnsafeMutableRawPointer
    private let stride: Int

    /// Makes an empty batch.
    /// - Parameters:
    ///   - capacity: messages per batch (at least 1; 32 is where the kernel's gain levels off).
    ///   - maxMessageSize: the largest message to be appended (at most
    ///     ``/MailslotCore/MessageSizeLimit/local``).
    public init(capacity: Int = 32, maxMessageSize: Int = MessageSizeLimit.local) {
        self.capacity = max(1, capacity)
        self.maxMessageSize = min(max(0, maxMessageSize), MessageSizeLimit.local)
        stride = (self.maxMessageSize + 15) & ~15
        headers = .allocate(capacity: self.capacity)
        headers.initialize(repeating: CLibEv_mmsghdr(), count: self.capacity)
        iovecs = .allocate(capacity: self.capacity)
        iovecs.initialize(repeating: iovec(), count: self.capacity)
        storage = .allocate(byteCount: max(1, self.capacity * stride), alignment: 16)
    }

    deinit {
        headers.deallocate()
        iovecs.deallocate()
        storage.deallocate()
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
        let buffer = storage + end * stride
        let length = fill(UnsafeMutableRawBufferPointer(start: buffer, count: min(maximum ?? maxMessageSize, maxMessageSize)))
        precondition(length >= 0 && length <= maxMessageSize, "a batch message cannot outgrow its buffer")
        iovecs[end] = iovec(iov_base: buffer, iov_len: length)
        headers[end].msg_hdr = msghdr(
            msg_name: nil, msg_namelen: 0, msg_iov: iovecs + end, msg_iovlen: 1,
            msg_control: nil, msg_controllen: 0, msg_flags: 0)
        headers[end].msg_len = 0
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
    func length(at offset: Int) -> Int { iovecs[start + offset].iov_len }

    /// Marks the first `sent` waiting messages as sent; an emptied batch starts over.
    func markSent(_ sent: Int) {
        start += sent
        if start == end { removeAll() }
    }

    /// The `offset`-th message waiting to be sent.
    func message(at offset: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: iovecs[start + offset].iov_base, count: iovecs[start + offset].iov_len)
    }

    /// The headers of the messages waiting to be sent.
    var pendingHeaders: UnsafeMutablePointer<CLibEv_mmsghdr> { headers + start }
}
