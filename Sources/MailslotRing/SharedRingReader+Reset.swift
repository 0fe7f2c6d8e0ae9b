/// The reader's recovery from corruption: a reset that counts what it throws away.
extension SharedRingReader {
    /// Drops everything queued after corruption. First it freezes `tail` (a value no writer
    /// claims from: writers meanwhile see a corrupt ring and write by socket), so no claim lands
    /// in what it is about to wipe; then it takes every record from the head out of the ring and
    /// counts the committed ones in ``lostInResets`` (`discardRecords(upTo:)`); then it zeroes
    /// all the records (free space must read as zeros again, whatever was scribbled there),
    /// reopens the ring and unfreezes `tail` where the head now starts: at the old tail, or at
    /// the head when the tail made no sense. A writer still filling a record finds it gone and
    /// is told (`abandoned`). A writer caught between its claim and its header write is counted
    /// as lost (its record reads as junk); if it writes its header only after the wipe, its
    /// message lies behind the head and is delivered a lap later, once counted twice. Recovery,
    /// not a fast path: it costs one pass over the records.
    public mutating func reset() {
        resets &+= 1
        let tail = freezeClaims()
        lostInResets &+= discardRecords(upTo: tail)
        let sane = tail &- head <= UInt64(region.capacity) && tail % UInt64(SharedRingLayout.alignment) == 0
        let start = sane ? tail : head
        region.records.initializeMemory(as: UInt8.self, repeating: 0, count: region.capacity)
        writeDescription()
        region.state.pointee.store(0, ordering: .releasing)
        head = start
        knownTail = start
        region.head.pointee.store(head, ordering: .sequentiallyConsistent)
        region.tail.pointee.store(start, ordering: .releasing)
        stall = nil
    }

    /// Swaps `tail` for a value out of every writer's reach (the head plus ``frozenTail``: no
    /// claim is made from it, a writer sees a corrupt ring) and returns it as it was: the end of
    /// every claim made before. One atomic swap: a compare-and-swap loop here could lose to a
    /// fast writer's claims again and again, and a claim that slipped in would then be wiped
    /// with the ring and counted nowhere (a stress test found exactly that).
    func freezeClaims() -> UInt64 {
        region.tail.pointee.exchange(head &+ Self.frozenTail, ordering: .acquiringAndReleasing)
    }

    /// Takes the records from the head to `tail` out of the ring and returns how many committed
    /// messages that threw away. Each readable header is swapped for zero as it is counted
    /// (atomically: a writer still filling that record fails its commit and is told, so it is
    /// not counted twice). A stretch that does not read as records (junk over a header) is
    /// skipped word by word up to the next header that does read, and counted as records of
    /// the average size consumed so far (of the largest message before anything was consumed,
    /// so the estimate errs low). With `tail` itself scribbled, the whole ring is walked: zero
    /// words are free space there, and a stretch of junk counts only when a record follows it.
    func discardRecords(upTo tail: UInt64) -> UInt64 {
        let step = UInt64(SharedRingLayout.alignment)
        let sane = tail &- head <= UInt64(region.capacity) && tail % step == 0
        let end = sane ? tail : head &+ UInt64(region.capacity)
        var position = head
        var counted: UInt64 = 0
        var junk: UInt64?
        while end &- position >= step {
            let word = region.header(at: position).pointee.load(ordering: .acquiring)
            guard let footprint = readableFootprint(RecordHeader(word: word), at: position, before: end) else {
                if junk == nil && (sane || word != 0) { junk = position }
                position &+= step
                continue
            }
            if let start = junk { counted &+= records(in: position &- start) }
            junk = nil
            let taken = RecordHeader(word: region.header(at: position).pointee.exchange(0, ordering: .acquiringAndReleasing))
            if taken.state == .committed { counted &+= 1 }
            position &+= UInt64(footprint)
        }
        if let start = junk, sane { counted &+= records(in: end &- start) }
        return counted
    }

    /// The footprint of a record whose header reads as one (a state a writer writes, a length
    /// within the largest message, ending before the end of the records and before `end`), or
    /// `nil`.
    func readableFootprint(_ header: RecordHeader, at position: UInt64, before end: UInt64) -> Int? {
        let footprint = SharedRingLayout.footprint(payload: header.length)
        guard let state = header.state, state != .unwritten, footprint <= region.bytesToEnd(position),
            UInt64(footprint) <= end &- position, state == .skip || header.length <= region.maxMessage
        else { return nil }
        return footprint
    }

    /// How many records of the average size `bytes` of junk hid (at least one).
    func records(in bytes: UInt64) -> UInt64 {
        let average = consumedRecords > 0
            ? max(UInt64(SharedRingLayout.alignment), consumedBytes / consumedRecords)
            : UInt64(SharedRingLayout.footprint(payload: region.maxMessage))
        return max(1, bytes / average)
    }
}
