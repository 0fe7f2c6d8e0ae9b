/// A byte ring of whole, length-prefixed messages: one mailslot's queue.
///
/// Layout follows Agrona's ring and swift-collections' Deque:
/// - the capacity is a power of two; `head` and `tail` are monotonic `UInt64` positions,
///   masked on use, so full and empty need no flag;
/// - every record is contiguous: a claim that does not fit before the end of the storage first
///   fills the rest with a padding record and starts at offset 0;
/// - ingest is claim → fill in place → commit (or abort); a read borrows the bytes in place and
///   consuming releases them. Nothing is copied and nothing is allocated per message.
///
/// Storage is allocated lazily and grows by doubling up to `quota` bytes, so an idle ring costs
/// nothing but this struct. Growth copies the queued records once (it is not steady state).
///
/// The layout of a record is drawn in ``RingDescriptor``.
public struct DatagramRing: ~Copyable {
    @usableFromInline var storage: UnsafeMutableRawPointer?
    @usableFromInline var capacity: Int
    @usableFromInline var head: UInt64 = 0
    @usableFromInline var tail: UInt64 = 0
    /// Messages queued (padding records excluded).
    public private(set) var messageCount: Int = 0
    /// The largest capacity the ring may grow to, in bytes (a power of two).
    public let quota: Int
    /// The capacity the ring starts with on first use.
    public let initialCapacity: Int

    /// Makes an empty ring that allocates nothing until first used.
    /// - Parameters:
    ///   - quota: the most bytes of storage the ring may use; rounded up to a power of two.
    ///   - initialCapacity: the storage allocated on first use; rounded up to a power of two and
    ///     clamped to `quota`.
    public init(quota: Int, initialCapacity: Int = 4096) {
        self.quota = RingDescriptor.capacity(atLeast: quota)
        self.initialCapacity = min(RingDescriptor.capacity(atLeast: initialCapacity), self.quota)
        self.capacity = 0
    }

    deinit {
        storage?.deallocate()
    }

    /// Bytes of storage currently allocated.
    public var allocatedBytes: Int { capacity }
    /// Bytes in use by queued records and padding.
    public var usedBytes: Int { Int(truncatingIfNeeded: tail &- head) }
    /// `true` when no message is queued.
    public var isEmpty: Bool { messageCount == 0 }

    /// The largest payload one record can ever hold in this ring.
    public var maxPayload: Int { quota - RingDescriptor.headerLength }

    // MARK: Reading

    /// The size of the next message, or `nil` when the ring is empty.
    public var nextMessageLength: Int? {
        guard messageCount > 0, let storage else { return nil }
        return Int(storage.load(fromByteOffset: offset(head), as: UInt32.self))
    }

    /// Calls `body` with a borrowed view of the next message, without consuming it.
    /// - Returns: `body`'s result, or `nil` when the ring is empty.
    /// - Warning: Do not escape the buffer: it points into the ring.
    @inlinable
    public func withNextMessage<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R? {
        guard messageCount > 0, let storage else { return nil }
        let at = offset(head)
        let length = Int(storage.load(fromByteOffset: at, as: UInt32.self))
        return try body(UnsafeRawBufferPointer(start: storage + (at &+ RingDescriptor.headerLength), count: length))
    }

    /// Releases the next message's space. Does nothing on an empty ring.
    public mutating func consumeNext() {
        guard messageCount > 0, let storage else { return }
        let span = storage.load(fromByteOffset: offset(head) &+ 4, as: UInt32.self)
        head &+= UInt64(span)
        messageCount &-= 1
        skipPadding()
        if messageCount == 0 {
            // Nothing queued: restart at offset 0 so the next batch gets the whole storage.
            head = 0
            tail = 0
        }
        checkInvariants()
    }

    /// Copies the next message into `buffer` and consumes it (Win32 `ReadFile`).
    /// A buffer that is too small leaves the message queued.
    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) -> RingReadResult {
        guard let length = nextMessageLength else { return .empty }
        guard length <= buffer.count else { return .bufferTooSmall(needed: length) }
        _ = withNextMessage { message in
            if let base = buffer.baseAddress, let source = message.baseAddress {
                base.copyMemory(from: source, byteCount: length)
            }
        }
        consumeNext()
        return .read(length)
    }

    // MARK: Writing

    /// Claims contiguous space for up to `maxSlots` records of `slotPayload` bytes each.
    ///
    /// Grows the storage (up to the quota) when fewer than `minSlots` fit, so a receiver's
    /// batches do not shrink to a slot or two in a small ring; at the quota, any claim of at
    /// least one slot is returned.
    /// - Returns: the claim, or `nil` when one slot does not fit even at the quota.
    public mutating func claim(slotPayload: Int, maxSlots: Int = 1, minSlots: Int = 1) -> RingClaim? {
        precondition(slotPayload >= 0 && maxSlots >= 1 && minSlots >= 1, "bad claim")
        let stride = RingDescriptor.footprint(payload: slotPayload)
        guard stride <= quota else { return nil }
        let wanted = min(minSlots, maxSlots)
        while true {
            if capacity < quota, wanted > 1, capacity > 0, capacity &- usedBytes < wanted &* stride {
                // Too small for the batch even when empty of anything but what is queued: grow.
                grow(to: capacity << 1)
                continue
            }
            if let claim = claimInPlace(stride: stride, slotPayload: slotPayload, maxSlots: maxSlots) {
                return claim
            }
            guard capacity < quota else { return nil }
            grow(to: capacity == 0 ? max(initialCapacity, RingDescriptor.capacity(atLeast: stride * wanted)) : capacity << 1)
        }
    }

    /// Publishes the first `count` slots of `claim` as messages and returns the rest.
    ///
    /// - Parameters:
    ///   - claim: the claim from ``claim(slotPayload:maxSlots:)``.
    ///   - count: how many slots were filled (`0` is an abort).
    ///   - length: the message length of slot `i`, or `nil` to turn that slot into padding.
    public mutating func commit(_ claim: RingClaim, count: Int, length: (Int) -> Int?) {
        precondition(count >= 0 && count <= claim.count, "commit beyond claim")
        guard count > 0 else { return abort(claim) }
        var position = claim.position
        for index in 0..<count {
            let header = claim.base + index &* claim.stride
            let isLast = index == count &- 1
            if let messageLength = length(index) {
                precondition(messageLength >= 0 && messageLength <= claim.slotPayload, "message overflows its slot")
                header.storeBytes(of: UInt32(messageLength), as: UInt32.self)
                let span = isLast ? RingDescriptor.footprint(payload: messageLength) : claim.stride
                header.storeBytes(of: UInt32(span), toByteOffset: 4, as: UInt32.self)
                position &+= UInt64(span)
                messageCount &+= 1
            } else {
                let span = isLast ? RingDescriptor.headerLength : claim.stride
                header.storeBytes(of: RingDescriptor.paddingLength, as: UInt32.self)
                header.storeBytes(of: UInt32(span), toByteOffset: 4, as: UInt32.self)
                position &+= UInt64(span)
            }
        }
        tail = position
        skipPadding()
        checkInvariants()
    }

    /// Gives back a claim whose slots were not filled.
    public mutating func abort(_ claim: RingClaim) {
        tail = claim.start
        if messageCount == 0 {
            head = 0
            tail = 0
        }
        checkInvariants()
    }

    /// Appends one message by copying `bytes` (a convenience for tests and local loopback).
    /// - Returns: `false` when the ring cannot take it.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let claim = claim(slotPayload: bytes.count) else { return false }
        if let source = bytes.baseAddress {
            claim.payloadAddress(0).copyMemory(from: source, byteCount: bytes.count)
        }
        commit(claim, count: 1) { _ in bytes.count }
        return true
    }

    /// Frees the storage when the ring is empty, so an idle mailslot costs no buffer memory.
    public mutating func releaseStorageIfEmpty() {
        guard messageCount == 0, storage != nil else { return }
        storage?.deallocate()
        storage = nil
        capacity = 0
        head = 0
        tail = 0
    }

    // MARK: Internals

    @inlinable
    func offset(_ position: UInt64) -> Int { Int(truncatingIfNeeded: position) & (capacity &- 1) }

    private mutating func claimInPlace(stride: Int, slotPayload: Int, maxSlots: Int) -> RingClaim? {
        guard let storage, capacity > 0 else { return nil }
        let start = tail
        let free = capacity &- usedBytes
        let toEnd = capacity &- offset(tail)
        var position = tail
        var region: Int
        if toEnd >= stride {
            region = min(toEnd, free)
        } else {
            // Not even one slot fits before the end: pad to the end and start at offset 0.
            guard free &- toEnd >= stride else { return nil }
            let padding = storage + offset(tail)
            padding.storeBytes(of: RingDescriptor.paddingLength, as: UInt32.self)
            padding.storeBytes(of: UInt32(toEnd), toByteOffset: 4, as: UInt32.self)
            position &+= UInt64(toEnd)
            region = free &- toEnd
        }
        let slots = min(maxSlots, region / stride)
        guard slots >= 1 else { return nil }
        tail = position
        return RingClaim(
            start: start, position: position, base: storage + offset(position),
            stride: stride, slotPayload: slotPayload, count: slots)
    }

    /// Moves `head` past padding records so it always rests on a message or on `tail`.
    private mutating func skipPadding() {
        guard let storage else { return }
        while head != tail {
            let at = offset(head)
            guard storage.load(fromByteOffset: at, as: UInt32.self) == RingDescriptor.paddingLength else { return }
            head &+= UInt64(storage.load(fromByteOffset: at &+ 4, as: UInt32.self))
        }
    }

    /// Moves the queued messages into new storage of `newCapacity` bytes, compacted from 0.
    private mutating func grow(to newCapacity: Int) {
        let target = min(newCapacity, quota)
        let fresh = UnsafeMutableRawPointer.allocate(byteCount: target, alignment: RingDescriptor.alignment)
        var written = 0
        if let storage {
            var position = head
            var remaining = messageCount
            while remaining > 0 {
                let at = offset(position)
                let length = storage.load(fromByteOffset: at, as: UInt32.self)
                let span = storage.load(fromByteOffset: at &+ 4, as: UInt32.self)
                if length != RingDescriptor.paddingLength {
                    let footprint = RingDescriptor.footprint(payload: Int(length))
                    (fresh + written).copyMemory(from: storage + at, byteCount: RingDescriptor.headerLength &+ Int(length))
                    (fresh + written).storeBytes(of: UInt32(footprint), toByteOffset: 4, as: UInt32.self)
                    written &+= footprint
                    remaining &-= 1
                }
                position &+= UInt64(span)
            }
            storage.deallocate()
        }
        storage = fresh
        capacity = target
        head = 0
        tail = UInt64(written)
        checkInvariants()
    }

    @inline(__always)
    private func checkInvariants() {
        #if MAILSLOT_INTERNAL_CHECKS
        precondition(usedBytes >= 0 && usedBytes <= capacity, "used bytes out of range")
        precondition(capacity == 0 || capacity & (capacity - 1) == 0, "capacity not a power of two")
        if let storage {
            var position = head
            var messages = 0
            while position != tail {
                let at = offset(position)
                let length = storage.load(fromByteOffset: at, as: UInt32.self)
                let span = Int(storage.load(fromByteOffset: at + 4, as: UInt32.self))
                precondition(span >= RingDescriptor.headerLength && span % RingDescriptor.alignment == 0 || span == capacity - at, "bad span")
                if length != RingDescriptor.paddingLength {
                    precondition(RingDescriptor.footprint(payload: Int(length)) <= span, "record overflows span")
                    messages += 1
                }
                position += UInt64(span)
                precondition(position &- head <= UInt64(capacity), "walked past tail")
            }
            precondition(messages == messageCount, "message count mismatch")
        }
        #endif
    }
}

/// The outcome of ``DatagramRing/read(into:)``.
public enum RingReadResult: Hashable, Sendable {
    /// No message was queued.
    case empty
    /// The next message needs this many bytes; it stays queued.
    case bufferTooSmall(needed: Int)
    /// One message of this many bytes was copied and consumed.
    case read(Int)
}
