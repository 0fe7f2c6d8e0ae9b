/// A byte ring of whole, length-prefixed messages: one mailslot's queue.
///
/// Layout follows Agrona's ring and swift-collections' Deque:
/// - the capacity is a power of two; `head` and `tail` are monotonic `UInt64` positions,
///   masked on use, so full and empty need no flag;
/// - every record is contiguous: a claim that does not fit before the end of the storage first
///   fills the rest with a padding record and starts at offset 0;
/// - ingest is claim → fill in place → commit (or abort); a read borrows the bytes in place and
///   consuming releases them. Nothing is allocated per message.
///
/// A committed batch is packed: a message stays where the kernel wrote it when that wastes no
/// more than its own footprint, else it moves down next to the one before. A queued message so
/// never costs more than twice its record size, whatever the claim's slot size was.
///
/// Storage is allocated lazily, grows by doubling up to `quota` bytes (charging an optional
/// ``RingMemoryBudget``), and ``shrink(toFit:)`` gives it back, so an idle ring costs nothing
/// but this struct. Growth and shrinking copy the queued records once (never steady state).
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
    /// The largest capacity an overdraft may take the ring to (see
    /// ``append(_:beyondQuota:)``): at least `quota`, a power of two.
    public let hardLimit: Int
    /// The capacity the ring starts with on first use.
    public let initialCapacity: Int
    /// The shared cap this ring's storage is charged to, if any.
    public let budget: RingMemoryBudget?
    /// `true` while the next message is pinned (``pinNext()``): its bytes must not move.
    public private(set) var isPinned = false
    /// The most bytes in use since the last ``resetHighWater()``.
    public private(set) var highWater = 0
    /// Operations since the last full invariant walk (test builds only).
    var checks = 0

    /// Makes an empty ring that allocates nothing until first used.
    /// - Parameters:
    ///   - quota: the most bytes of storage the ring may use; rounded up to a power of two.
    ///   - initialCapacity: the storage allocated on first use; rounded up to a power of two and
    ///     clamped to `quota`.
    ///   - budget: a cap shared with other rings, charged before every growth.
    ///   - overdraft: bytes an append may take beyond the quota when asked to (a receiver that
    ///     already took datagrams out of the kernel and must not drop them); `0`: none.
    public init(quota: Int, initialCapacity: Int = 4096, budget: RingMemoryBudget? = nil, overdraft: Int = 0) {
        self.quota = RingDescriptor.capacity(atLeast: quota)
        self.hardLimit = RingDescriptor.capacity(atLeast: self.quota + max(0, overdraft))
        self.initialCapacity = min(RingDescriptor.capacity(atLeast: initialCapacity), self.quota)
        self.capacity = 0
        self.budget = budget
    }

    deinit {
        if let storage {
            storage.deallocate()
            budget?.refund(capacity)
        }
    }

    /// Bytes of storage currently allocated.
    public var allocatedBytes: Int { capacity }
    /// Bytes in use by queued records and padding.
    public var usedBytes: Int { Int(truncatingIfNeeded: tail &- head) }
    /// `true` when no message is queued.
    public var isEmpty: Bool { messageCount == 0 }
    /// Bytes the ring could still take before reaching its quota (ignoring the budget).
    public var freeBytesUnderQuota: Int { quota &- usedBytes }

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

    /// Pins the next message so its bytes stay where they are while the ring keeps taking new
    /// messages: until ``unpin()`` the ring neither grows, shrinks nor consumes.
    ///
    /// This lets an owner hand the message to code that may itself claim and commit (say, a
    /// callback that receives into the same ring) without holding an access to the ring.
    /// - Returns: the message's bytes, valid until ``unpin()``; `nil` when the ring is empty.
    public mutating func pinNext() -> UnsafeRawBufferPointer? {
        precondition(!isPinned, "the next message is pinned already")
        guard messageCount > 0, let storage else { return nil }
        isPinned = true
        let at = offset(head)
        let length = Int(storage.load(fromByteOffset: at, as: UInt32.self))
        return UnsafeRawBufferPointer(start: storage + (at &+ RingDescriptor.headerLength), count: length)
    }

    /// Ends a ``pinNext()``.
    public mutating func unpin() {
        isPinned = false
    }

    /// Releases the next message's space. Does nothing on an empty ring.
    public mutating func consumeNext() {
        precondition(!isPinned, "consume while the next message is pinned")
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
    /// Grows the storage (up to the quota, and as the budget allows) when fewer than `minSlots`
    /// fit, so a receiver's batches do not shrink to a slot or two in a small ring; at the
    /// quota, any claim of at least one slot is returned.
    /// - Parameters:
    ///   - slotPayload: the largest message a slot must hold, in bytes.
    ///   - maxSlots: the most slots wanted.
    ///   - minSlots: the fewest slots worth claiming before the ring grows.
    ///   - beyondQuota: let the ring grow up to ``hardLimit`` instead of ``quota``.
    /// - Returns: the claim, or `nil` when one slot does not fit even at the quota.
    public mutating func claim(slotPayload: Int, maxSlots: Int = 1, minSlots: Int = 1, beyondQuota: Bool = false) -> RingClaim? {
        precondition(slotPayload >= 0 && maxSlots >= 1 && minSlots >= 1, "bad claim")
        let stride = RingDescriptor.footprint(payload: slotPayload)
        let limit = beyondQuota ? hardLimit : quota
        guard stride <= limit else { return nil }
        let wanted = min(minSlots, maxSlots)
        while true {
            if capacity < limit, wanted > 1, capacity > 0, capacity &- usedBytes < wanted &* stride, grow(to: capacity << 1, limit: limit) {
                continue  // too small for the batch: grown, try again
            }
            if let claim = claimInPlace(stride: stride, slotPayload: slotPayload, maxSlots: maxSlots) {
                return claim
            }
            let target = capacity == 0 ? max(initialCapacity, RingDescriptor.capacity(atLeast: stride &* wanted)) : capacity << 1
            guard capacity < limit, grow(to: target, limit: limit) else { return nil }
        }
    }

    /// Publishes the first `count` slots of `claim` as messages and returns the rest.
    ///
    /// Records are packed as they are published: a message is left where it was written when
    /// the gap before it is no larger than the previous record's footprint, else it moves down
    /// next to that record (a copy within the ring).
    ///
    /// - Parameters:
    ///   - claim: the claim from ``claim(slotPayload:maxSlots:minSlots:beyondQuota:)``.
    ///   - count: how many slots were filled (`0` is an abort).
    ///   - length: the message length of slot `i`, or `nil` to give that slot up.
    public mutating func commit(_ claim: RingClaim, count: Int, length: (Int) -> Int?) {
        precondition(count >= 0 && count <= claim.count, "commit beyond claim")
        var next = claim.position  // where the record after the last published one would start
        var previousFootprint = 0
        var previousHeader: UnsafeMutableRawPointer?
        for index in 0..<count {
            guard let messageLength = length(index) else { continue }
            precondition(messageLength >= 0 && messageLength <= claim.slotPayload, "message overflows its slot")
            let footprint = RingDescriptor.footprint(payload: messageLength)
            let slotPosition = claim.position &+ UInt64(index &* claim.stride)
            let gap = Int(truncatingIfNeeded: slotPosition &- next)
            let header: UnsafeMutableRawPointer
            if let previousHeader, gap <= previousFootprint {
                // Stays in place: the record before absorbs the gap.
                previousHeader.storeBytes(of: UInt32(previousFootprint &+ gap), toByteOffset: 4, as: UInt32.self)
                header = claim.base + index &* claim.stride
                next = slotPosition
            } else if gap == 0 {
                header = claim.base + index &* claim.stride
            } else {
                // Moves down next to the record before (or to the claim's start).
                header = claim.base + Int(truncatingIfNeeded: next &- claim.position)
                let source = claim.base + (index &* claim.stride &+ RingDescriptor.headerLength)
                (header + RingDescriptor.headerLength).copyMemory(from: source, byteCount: messageLength)
            }
            header.storeBytes(of: UInt32(messageLength), as: UInt32.self)
            header.storeBytes(of: UInt32(footprint), toByteOffset: 4, as: UInt32.self)
            next &+= UInt64(footprint)
            previousFootprint = footprint
            previousHeader = header
            messageCount &+= 1
        }
        tail = next
        if messageCount == 0 {
            head = 0
            tail = 0
        }
        skipPadding()
        noteUsage()
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

    /// Appends one message by copying `bytes`.
    /// - Parameters:
    ///   - bytes: the message.
    ///   - beyondQuota: grow up to ``hardLimit`` if the quota is reached (an overdraft for
    ///     messages already taken from the kernel); the space above the quota is given back by
    ///     ``shrink(toFit:)`` once consumed.
    /// - Returns: `false` when the ring cannot take it.
    public mutating func append(_ bytes: UnsafeRawBufferPointer, beyondQuota: Bool = false) -> Bool {
        guard let claim = claim(slotPayload: bytes.count, beyondQuota: beyondQuota) else { return false }
        if let source = bytes.baseAddress {
            claim.payloadAddress(0).copyMemory(from: source, byteCount: bytes.count)
        }
        commit(claim, count: 1) { _ in bytes.count }
        return true
    }

    // MARK: Giving memory back

    /// Frees the storage when the ring is empty, so an idle mailslot costs no buffer memory.
    public mutating func releaseStorageIfEmpty() {
        guard messageCount == 0, !isPinned, let storage else { return }
        storage.deallocate()
        budget?.refund(capacity)
        self.storage = nil
        capacity = 0
        head = 0
        tail = 0
    }

    /// Moves the queued records into smaller storage when the ring holds far less than it has:
    /// the new capacity is the smallest power of two (at least the initial capacity) that holds
    /// `bytes`, or what is queued now if that is more. Does nothing when pinned.
    /// - Returns: `true` when the storage shrank.
    @discardableResult
    public mutating func shrink(toFit bytes: Int) -> Bool {
        guard !isPinned, storage != nil else { return false }
        let target = max(initialCapacity, RingDescriptor.capacity(atLeast: max(bytes, packedBytes)))
        guard target < capacity else { return false }
        return relocate(to: target)
    }

    /// Starts a new high-water period (see ``highWater``).
    public mutating func resetHighWater() {
        highWater = usedBytes
    }

    // MARK: Internals

    @inlinable
    func offset(_ position: UInt64) -> Int { Int(truncatingIfNeeded: position) & (capacity &- 1) }

    private mutating func noteUsage() {
        if usedBytes > highWater { highWater = usedBytes }
    }

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

    /// Bytes the queued messages take when packed with no slack.
    private var packedBytes: Int {
        var total = 0
        forEachRecord { length, _ in total &+= RingDescriptor.footprint(payload: length) }
        return total
    }

    /// Calls `body` with each queued message's length and offset, oldest first.
    private func forEachRecord(_ body: (Int, Int) -> Void) {
        guard let storage else { return }
        var position = head
        var remaining = messageCount
        while remaining > 0 {
            let at = offset(position)
            let length = storage.load(fromByteOffset: at, as: UInt32.self)
            if length != RingDescriptor.paddingLength {
                body(Int(length), at)
                remaining &-= 1
            }
            position &+= UInt64(storage.load(fromByteOffset: at &+ 4, as: UInt32.self))
        }
    }

    /// Doubles the storage (or allocates the first) up to `limit`, charging the budget.
    private mutating func grow(to newCapacity: Int, limit: Int) -> Bool {
        guard !isPinned else { return false }
        let target = min(newCapacity, limit)
        guard target > capacity else { return false }
        return relocate(to: target)
    }

    /// Moves the queued messages into new storage of `target` bytes, packed from offset 0.
    private mutating func relocate(to target: Int) -> Bool {
        if target > capacity {
            guard budget?.charge(target &- capacity) ?? true else { return false }
        } else {
            budget?.refund(capacity &- target)
        }
        let fresh = UnsafeMutableRawPointer.allocate(byteCount: target, alignment: RingDescriptor.alignment)
        var written = 0
        if let storage {
            forEachRecord { length, at in
                let footprint = RingDescriptor.footprint(payload: length)
                (fresh + written).copyMemory(from: storage + at, byteCount: RingDescriptor.headerLength &+ length)
                (fresh + written).storeBytes(of: UInt32(footprint), toByteOffset: 4, as: UInt32.self)
                written &+= footprint
            }
            storage.deallocate()
        }
        storage = fresh
        capacity = target
        head = 0
        tail = UInt64(written)
        highWater = written
        checkInvariants()
        return true
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
