import Synchronization

/// The reader's side of a shared ring: the one consumer, on the engine's loop.
///
/// Writers share the region, so the reader trusts none of it: it keeps its own `head`,
/// capacity and largest message, reads each header word once, and checks it before using it
/// (a known state, a length within the largest message, a record that ends before the end of
/// the records and before `tail`). Anything else is corruption: the reader then resets the ring
/// (what was queued is lost and counted) and carries on. It never reads outside the records and
/// every call does a bounded amount of work.
public struct SharedRingReader: ~Copyable {
    let region: SharedRegion
    /// The next record to read (the reader's own copy; the region's copy is for writers).
    var head: UInt64 = 0
    /// The last `tail` read: records before it are claimed, so `tail` (a line every claim
    /// writes) is read again only once the head reaches it.
    var knownTail: UInt64 = 0
    /// Where the reader last found the head record not yet committed, and since when.
    var stall: (position: UInt64, tail: UInt64, since: Double)?
    /// Times the ring was reset because its contents were not sane.
    public internal(set) var resets: UInt64 = 0
    /// Records skipped because their writer never committed them.
    public private(set) var abandoned: UInt64 = 0
    /// Committed messages thrown away by resets: counted where their headers could still be
    /// read, estimated (from the average record) where the corruption hid them. An estimate.
    public internal(set) var lostInResets: UInt64 = 0
    /// Bytes and records consumed: their average sizes the estimate of what a reset loses.
    var consumedBytes: UInt64 = 0
    var consumedRecords: UInt64 = 0

    /// What is at the head of the ring.
    public enum Next {
        /// A committed message, borrowed in place until ``consume()``.
        case message(UnsafeRawBufferPointer)
        /// Nothing is queued.
        case empty
        /// A writer claimed the next record and has not committed it yet.
        case pending
    }

    /// Formats a region for a new ring and becomes its reader.
    /// - Parameters:
    ///   - base: the mapping's start, `SharedRingLayout.regionBytes(capacity:)` bytes, zeroed.
    ///   - capacity: the records' capacity (a power of two, see
    ///     ``SharedRingLayout/capacity(requested:maxMessage:)``).
    ///   - maxMessage: the largest message writers may commit.
    public init(formatting base: UnsafeMutableRawPointer, capacity: Int, maxMessage: Int) {
        precondition(capacity & (capacity - 1) == 0 && 8 * SharedRingLayout.footprint(payload: maxMessage) <= capacity)
        region = SharedRegion(base: base, capacity: capacity, maxMessage: maxMessage)
        writeDescription()
    }

    /// Writes the first line of the control block (what writers check when they attach).
    func writeDescription() {
        region.word64(SharedRingLayout.capacityOffset).pointee.store(UInt64(region.capacity), ordering: .relaxed)
        let limits = UInt64(UInt32(region.maxMessage)) | UInt64(SharedRingLayout.version) << 32
        region.word64(SharedRingLayout.maxMessageOffset).pointee.store(limits, ordering: .relaxed)
        region.word64(0).pointee.store(SharedRingLayout.magic, ordering: .releasing)
    }

    /// The records' capacity.
    public var capacity: Int { region.capacity }

    /// What closing found still in the ring.
    public struct Leftovers: Equatable, Sendable {
        /// Committed messages never read.
        public var unread = 0
        /// Records a writer claimed and had not committed: each was turned into a skip record,
        /// so a writer still alive fails its commit (it is told) instead of reporting a
        /// message no one will read.
        public var unfinished = 0
    }

    /// Added to `tail` at close: every later claim then sees a ring that makes no sense and
    /// writes by socket instead (which is closing too), so nothing lands after the count.
    static let frozenTail: UInt64 = 1 << 62

    /// Closes the ring for good and counts what it still holds: marks it closed (writers'
    /// later writes fail with `closed`), freezes `tail` so no claim can follow, then walks the
    /// records from the head. Bounded: one pass over the records.
    public mutating func close() -> Leftovers {
        region.state.pointee.store(1, ordering: .sequentiallyConsistent)
        var tail = region.tail.pointee.load(ordering: .acquiring)
        while true {
            guard tail &- head <= UInt64(region.capacity), tail % UInt64(SharedRingLayout.alignment) == 0 else {
                return Leftovers()  // corrupt: nothing in it can be trusted or counted
            }
            let (exchanged, original) = region.tail.pointee.compareExchange(
                expected: tail, desired: tail &+ Self.frozenTail, ordering: .acquiringAndReleasing)
            if exchanged { break }
            tail = original
        }
        var leftovers = Leftovers()
        var position = head
        var steps = 2 * region.capacity / SharedRingLayout.alignment
        while position != tail, steps > 0 {
            steps -= 1
            let word = region.header(at: position).pointee.load(ordering: .acquiring)
            let header = RecordHeader(word: word)
            let footprint = SharedRingLayout.footprint(payload: header.length)
            let fits = footprint <= region.bytesToEnd(position) && UInt64(footprint) <= tail &- position
            switch header.state {
            case .committed? where fits:
                leftovers.unread += 1
                position &+= UInt64(footprint)
            case .skip? where fits:
                position &+= UInt64(footprint)
            case .claimed? where fits:
                let skip = RecordHeader(.skip, length: footprint - SharedRingLayout.headerBytes).word
                guard region.header(at: position).pointee.compareExchange(
                    expected: word, desired: skip, ordering: .acquiringAndReleasing
                ).exchanged else { continue }  // committed meanwhile: look again
                leftovers.unfinished += 1
                position &+= UInt64(footprint)
            case .unwritten?:
                // Claimed, header not yet written: poison every word up to the next written
                // header, so a claim in there fails its header write.
                let end = firstWrittenHeader(after: position, before: tail) ?? tail
                guard poison(from: position, to: end) else { continue }
                leftovers.unfinished += 1
                position = end
            default:
                return leftovers  // junk: what follows cannot be read
            }
        }
        return leftovers
    }

    /// Writes a skip header over each zero word from `start` to `end`. - Returns: `false` when
    /// the first word was written by someone else meanwhile (look at it again).
    private func poison(from start: UInt64, to end: UInt64) -> Bool {
        let skip = RecordHeader(.skip, length: 0).word
        var position = start
        while position != end {
            let exchanged = region.header(at: position).pointee.compareExchange(
                expected: 0, desired: skip, ordering: .acquiringAndReleasing
            ).exchanged
            if !exchanged && position == start { return false }
            position &+= UInt64(SharedRingLayout.alignment)
        }
        return true
    }

    /// `true` while the ring holds records (committed or still being written): what a drain
    /// waits for. A ring whose counters make no sense holds nothing deliverable.
    public var hasRecords: Bool {
        let tail = region.tail.pointee.load(ordering: .acquiring)
        return tail != head && tail &- head <= UInt64(region.capacity)
    }

    /// The record at the head: a message, nothing, or one still being written. Skip records
    /// are consumed on the way; a ring found corrupt is reset (and then reads as empty).
    public mutating func next() -> Next {
        var rounds = region.capacity / SharedRingLayout.alignment
        while rounds > 0 {
            rounds -= 1
            if knownTail == head { knownTail = region.tail.pointee.load(ordering: .acquiring) }
            let tail = knownTail
            let queued = tail &- head
            guard queued <= UInt64(region.capacity), tail % UInt64(SharedRingLayout.alignment) == 0 else {
                reset()
                return .empty
            }
            if queued == 0 {
                // Empty. The published `head` must still be ours: one written over (by a writer
                // that scribbles) makes every writer see a corrupt ring and fall back to the
                // socket for good, while this reader, which keeps its own `head`, would never
                // notice. Publishing it again puts it right, and counts as a reset; nothing is
                // thrown away (a claim that landed meanwhile stays: only `head` was wrong).
                if region.head.pointee.load(ordering: .relaxed) != head {
                    resets &+= 1
                    region.head.pointee.store(head, ordering: .sequentiallyConsistent)
                }
                return .empty
            }
            let header = RecordHeader(word: region.header(at: head).pointee.load(ordering: .acquiring))
            guard let state = header.state else {
                reset()
                return .empty
            }
            if state == .unwritten { return .pending }
            let footprint = SharedRingLayout.footprint(payload: header.length)
            guard footprint <= region.bytesToEnd(head), UInt64(footprint) <= queued,
                state == .skip || header.length <= region.maxMessage
            else {
                reset()
                return .empty
            }
            switch state {
            case .claimed, .unwritten:
                return .pending
            case .skip:
                release(footprint: footprint)
            case .committed:
                let start = region.records + Int(head & region.mask) + SharedRingLayout.headerBytes
                return .message(UnsafeRawBufferPointer(start: start, count: header.length))
            }
        }
        return .empty
    }

    /// Consumes the message ``next()`` returned: zeroes its record and moves `head` past it
    /// (a release store: no fence per message). Writers waiting for room are woken by
    /// ``wakeWaitingWriters()``, which the caller runs after a batch of these.
    public mutating func consume() {
        let header = RecordHeader(word: region.header(at: head).pointee.load(ordering: .acquiring))
        let footprint = SharedRingLayout.footprint(payload: header.length)
        guard header.state == .committed, footprint <= region.bytesToEnd(head) else { return reset() }
        release(footprint: footprint)
        consumedBytes &+= UInt64(footprint)
        consumedRecords &+= 1
    }

    /// Zeroes `footprint` bytes at the head and publishes the new head.
    private mutating func release(footprint: Int) {
        (region.records + Int(head & region.mask)).initializeMemory(as: UInt8.self, repeating: 0, count: footprint)
        head &+= UInt64(footprint)
        region.head.pointee.store(head, ordering: .releasing)
        stall = nil
    }

    /// After consuming: when writers announced they wait for room, clears the flag and bumps
    /// the room sequence. The fence pairs with the writers' (see
    /// ``SharedRingWriter/announceWaitingForRoom()``): either this sees the flag, or the
    /// writer sees the new head.
    /// - Returns: `true` when the caller must wake the futex sleepers.
    public func wakeWaitingWriters() -> Bool {
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        guard region.writersWaiting.pointee.load(ordering: .relaxed) != 0,
            region.writersWaiting.pointee.exchange(0, ordering: .acquiringAndReleasing) != 0
        else { return false }
        region.roomSequence.pointee.add(1, ordering: .releasing)
        return true
    }

    /// Before the reader sleeps: raises the "reader asleep" flag, then looks once more.
    /// - Returns: `false` when a message was committed meanwhile (the flag is cleared again and
    ///   the reader must not sleep); `true` when writers will wake it.
    public mutating func prepareToSleep() -> Bool {
        region.readerAsleep.pointee.store(1, ordering: .sequentiallyConsistent)
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        if case .message = next() {
            region.readerAsleep.pointee.store(0, ordering: .relaxed)
            return false
        }
        return true
    }

    /// Lowers the "reader asleep" flag: the reader is polling (spinning), so writers need not
    /// wake it.
    public func cancelSleep() {
        region.readerAsleep.pointee.store(0, ordering: .relaxed)
    }

    /// Skips the head record when a writer claimed it and has not committed it for `timeout`
    /// seconds (it died, or stalled): Agrona's `unblock()`. A claimed header gives the length;
    /// an unwritten one (the writer died right after its claim) spans to the next written
    /// header, or to `tail` when `tail` has not moved for the whole timeout.
    /// - Parameters:
    ///   - now: monotonic seconds.
    ///   - timeout: seconds a claimed record may stay uncommitted before it is skipped.
    /// - Returns: `true` when a record was skipped (counted in ``abandoned``).
    public mutating func unblockIfStalled(now: Double, timeout: Double) -> Bool {
        guard case .pending = next() else {
            stall = nil
            return false
        }
        let tail = region.tail.pointee.load(ordering: .acquiring)
        guard let stall, stall.position == head else {
            self.stall = (head, tail, now)
            return false
        }
        guard now - stall.since >= timeout else { return false }
        let headerWord = region.header(at: head).pointee.load(ordering: .acquiring)
        let header = RecordHeader(word: headerWord)
        let skipped: Bool
        if header.state == .claimed {
            let footprint = SharedRingLayout.footprint(payload: header.length)
            skipped = region.header(at: head).pointee.compareExchange(
                expected: headerWord, desired: RecordHeader(.skip, length: footprint - SharedRingLayout.headerBytes).word,
                ordering: .acquiringAndReleasing
            ).exchanged
        } else if let end = firstWrittenHeader(after: head, before: tail) {
            skipped = skipUnwritten(upTo: end)
        } else if stall.tail == tail {
            skipped = skipUnwritten(upTo: tail)
        } else {
            // Claims after the dead one have not written their headers yet: look again later,
            // with the new tail (a dead claim is only skipped to a tail that stood still).
            self.stall = (head, tail, stall.since)
            return false
        }
        self.stall = nil
        if skipped { abandoned &+= 1 }
        return skipped
    }

    /// The position of the first non-zero header word after `start` and before `tail`: where
    /// the record after a dead, unwritten claim starts (a dead claim's bytes are all zeros).
    private func firstWrittenHeader(after start: UInt64, before tail: UInt64) -> UInt64? {
        var end = start &+ UInt64(SharedRingLayout.alignment)
        while end &- start < tail &- start {
            if region.header(at: end).pointee.load(ordering: .acquiring) != 0 { return end }
            end &+= UInt64(SharedRingLayout.alignment)
        }
        return nil
    }

    /// Writes skip headers over a dead claim whose header was never written, from the head to
    /// `end`, in two pieces when it wraps.
    private func skipUnwritten(upTo end: UInt64) -> Bool {
        let span = Int(end &- head)
        let toEnd = region.bytesToEnd(head)
        if span > toEnd {
            _ = region.header(at: head &+ UInt64(toEnd)).pointee.compareExchange(
                expected: 0, desired: RecordHeader(.skip, length: span - toEnd - SharedRingLayout.headerBytes).word,
                ordering: .acquiringAndReleasing)
        }
        return region.header(at: head).pointee.compareExchange(
            expected: 0, desired: RecordHeader(.skip, length: min(span, toEnd) - SharedRingLayout.headerBytes).word,
            ordering: .acquiringAndReleasing
        ).exchanged
    }

    /// Committed messages queued from the head, up to the first record not yet committed (what
    /// `GetMailslotInfo` reports); bounded by the ring's size.
    public func messageCount() -> Int {
        let tail = region.tail.pointee.load(ordering: .acquiring)
        guard tail &- head <= UInt64(region.capacity) else { return 0 }
        var position = head
        var count = 0
        while position != tail {
            let header = RecordHeader(word: region.header(at: position).pointee.load(ordering: .acquiring))
            let footprint = SharedRingLayout.footprint(payload: header.length)
            guard header.state == .committed || header.state == .skip, footprint <= region.bytesToEnd(position),
                UInt64(footprint) <= tail &- position
            else { break }
            if header.state == .committed { count += 1 }
            position &+= UInt64(footprint)
        }
        return count
    }
}
