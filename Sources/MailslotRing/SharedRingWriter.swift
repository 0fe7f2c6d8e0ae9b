import Synchronization

/// What a write into a shared ring came to.
public enum SharedRingWriteOutcome: Equatable, Sendable {
    /// Committed: the reader will see it, in claim order.
    case written
    /// No room now (or the ring's counters are not sane: the reader resets it).
    case full
    /// The reader gave up on this record before it was committed (the writer took longer
    /// than the reader's unblock timeout between claim and commit); it counted it as lost.
    case abandoned
    /// The reader closed the ring.
    case closed
    /// The ring's counters are not sane (someone wrote over them): nothing was written. The
    /// reader resets such a ring when it next looks; until then, write another way.
    case corrupt
}

/// The writer's side of a shared ring: many writers, in any processes, claim space with a
/// compare-and-swap on `tail`, write their message in place, and commit it.
///
/// Claim order is delivery order. A writer never reads another writer's record; it trusts
/// nothing in the region beyond the capacity it was given at set-up, so a region scribbled on
/// by someone else makes its writes fail (`full` or `abandoned`), never crash.
public struct SharedRingWriter: @unchecked Sendable {
    let region: SharedRegion

    /// Attaches to a region a reader formatted.
    /// - Parameters:
    ///   - base: the mapping's start.
    ///   - size: the mapping's size in bytes.
    /// - Returns: `nil` when the region is not a ring of this version, or its capacity does
    ///   not match `size`.
    public init?(base: UnsafeMutableRawPointer, size: Int) {
        guard size > SharedRingLayout.controlBytes else { return nil }
        let magic = base.loadUnaligned(as: UInt64.self)
        let capacity = Int(truncatingIfNeeded: base.loadUnaligned(fromByteOffset: SharedRingLayout.capacityOffset, as: UInt64.self))
        let maxMessage = Int(base.loadUnaligned(fromByteOffset: SharedRingLayout.maxMessageOffset, as: UInt32.self))
        let version = base.loadUnaligned(fromByteOffset: SharedRingLayout.versionOffset, as: UInt32.self)
        guard magic == SharedRingLayout.magic, version == SharedRingLayout.version, capacity > 0,
            capacity & (capacity - 1) == 0, SharedRingLayout.regionBytes(capacity: capacity) == size,
            8 * SharedRingLayout.footprint(payload: maxMessage) <= capacity
        else { return nil }
        region = SharedRegion(base: base, capacity: capacity, maxMessage: maxMessage)
    }

    /// The largest message the ring takes.
    public var maxMessage: Int { region.maxMessage }

    /// `true` once the reader closed the ring.
    public var isClosed: Bool { region.state.pointee.load(ordering: .acquiring) != 0 }

    /// Claims room for a `length`-byte message, lets `fill` write it in place, and commits it.
    ///
    /// `fill` must not keep the buffer. A writer that stops inside `fill` (killed, or stalled
    /// past the reader's unblock timeout) costs the mailslot that one message, not its queue.
    public func write(length: Int, _ fill: (UnsafeMutableRawBufferPointer) -> Void) -> SharedRingWriteOutcome {
        guard length >= 0, length <= region.maxMessage else { return .full }
        guard !isClosed else { return .closed }
        let position: UInt64
        switch claim(length: length) {
        case .claimed(let claimed): position = claimed
        case .full: return .full
        case .corrupt: return .corrupt
        }
        let header = region.header(at: position)
        // Claimed: the header goes from 0 to "claimed, length" before a byte of payload, so a
        // reader that finds this writer dead knows the record's length.
        guard header.pointee.compareExchange(
            expected: 0, desired: RecordHeader(.claimed, length: length).word, ordering: .acquiringAndReleasing
        ).exchanged else { return .abandoned }
        let offset = Int(position & region.mask) + SharedRingLayout.headerBytes
        fill(UnsafeMutableRawBufferPointer(start: region.records + offset, count: length))
        let committed = header.pointee.compareExchange(
            expected: RecordHeader(.claimed, length: length).word, desired: RecordHeader(.committed, length: length).word,
            ordering: .acquiringAndReleasing
        ).exchanged
        return committed ? .written : .abandoned
    }

    /// Copies `bytes` in as one message.
    public func write(_ bytes: UnsafeRawBufferPointer) -> SharedRingWriteOutcome {
        write(length: bytes.count) { buffer in
            if let source = bytes.baseAddress, !bytes.isEmpty { buffer.baseAddress!.copyMemory(from: source, byteCount: bytes.count) }
        }
    }

    /// What a claim came to.
    enum Claim: Equatable {
        case claimed(UInt64)
        case full
        case corrupt
    }

    /// Moves `tail` past one record (and the padding before it, when it would not fit before
    /// the end of the records). - Returns: the record's position, `full` when there is no
    /// room, or `corrupt` when `head` and `tail` make no sense.
    func claim(length: Int) -> Claim {
        let needed = SharedRingLayout.footprint(payload: length)
        var tail = region.tail.pointee.load(ordering: .acquiring)
        var head = region.headCache.pointee.load(ordering: .acquiring)
        var refreshed = false
        while true {
            let toEnd = region.bytesToEnd(tail)
            let padding = needed > toEnd ? toEnd : 0
            let used = tail &- head
            let sane = used <= UInt64(region.capacity) && (tail | head) % UInt64(SharedRingLayout.alignment) == 0
            if !sane || UInt64(needed + padding) > UInt64(region.capacity) - used {
                // The cached head says "full", or the pair makes no sense (read at different
                // moments): read a consistent pair and look once more.
                guard !refreshed else { return sane ? .full : .corrupt }
                refreshed = true
                guard let (freshTail, freshHead) = consistentPositions() else { return .full }
                (tail, head) = (freshTail, freshHead)
                region.headCache.pointee.store(head, ordering: .releasing)
                continue
            }
            let (exchanged, original) = region.tail.pointee.compareExchange(
                expected: tail, desired: tail &+ UInt64(needed + padding), ordering: .acquiringAndReleasing)
            guard exchanged else {
                tail = original
                refreshed = false
                continue
            }
            if padding > 0 {
                _ = region.header(at: tail).pointee.compareExchange(
                    expected: 0, desired: RecordHeader(.skip, length: padding - SharedRingLayout.headerBytes).word,
                    ordering: .acquiringAndReleasing)
            }
            return .claimed(tail &+ UInt64(padding))
        }
    }

    /// `tail` and `head` as they were at one moment: `head` read between two reads of `tail`
    /// that agree. In an honest ring such a pair is always sane, so a pair that is not is
    /// corruption, not a race. - Returns: `nil` when `tail` kept moving (busy, not broken).
    private func consistentPositions() -> (tail: UInt64, head: UInt64)? {
        for _ in 0..<8 {
            let tail = region.tail.pointee.load(ordering: .acquiring)
            let head = region.head.pointee.load(ordering: .acquiring)
            if region.tail.pointee.load(ordering: .acquiring) == tail { return (tail, head) }
        }
        return nil
    }

    /// After a write: `true` when the reader went to sleep and this writer must wake it (the
    /// flag is cleared, so one writer wakes it once). The fence pairs with the reader's (see
    /// ``SharedRingReader/prepareToSleep()``): either the reader sees the commit, or this sees
    /// the flag.
    public func readerNeedsWakeup() -> Bool {
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        guard region.readerAsleep.pointee.load(ordering: .relaxed) != 0 else { return false }
        return region.readerAsleep.pointee.exchange(0, ordering: .acquiringAndReleasing) != 0
    }

    /// Before sleeping for room: announces a waiting writer and returns the room sequence to
    /// sleep on (a futex word at ``SharedRingLayout/roomSequenceOffset``). The caller checks
    /// for room once more after this, then sleeps while the word still holds the value.
    public func announceWaitingForRoom() -> UInt32 {
        let sequence = region.roomSequence.pointee.load(ordering: .acquiring)
        region.writersWaiting.pointee.store(1, ordering: .sequentiallyConsistent)
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        return sequence
    }

    /// `true` when a `length`-byte message would fit now (a hint: other writers race for it).
    public func hasRoom(for length: Int) -> Bool {
        guard let (tail, head) = consistentPositions() else { return true }  // moving: try
        let used = tail &- head
        guard used <= UInt64(region.capacity), (tail | head) % UInt64(SharedRingLayout.alignment) == 0 else { return false }
        let needed = SharedRingLayout.footprint(payload: length)
        let toEnd = region.bytesToEnd(tail)
        return UInt64(needed + (needed > toEnd ? toEnd : 0)) <= UInt64(region.capacity) - used
    }
}
