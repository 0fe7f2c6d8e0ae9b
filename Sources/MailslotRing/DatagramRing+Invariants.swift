// Invariant checks of DatagramRing, compiled in test builds (MAILSLOT_INTERNAL_CHECKS, set by
// Package.swift for debug builds) and free in release builds.
extension DatagramRing {
    /// Checks the ring's bookkeeping: cheap checks every call, and a walk of every record for
    /// small rings and every 1024th call otherwise (a walk per call would make long runs
    /// quadratic).
    @inline(__always)
    mutating func checkInvariants() {
        #if MAILSLOT_INTERNAL_CHECKS
        precondition(usedBytes >= 0 && usedBytes <= capacity, "used bytes out of range")
        precondition(capacity == 0 || capacity & (capacity - 1) == 0, "capacity not a power of two")
        precondition(capacity <= hardLimit, "capacity above the hard limit")
        precondition(messageCount >= 0 && (messageCount == 0 || storage != nil), "message count without storage")
        checks &+= 1
        guard messageCount <= 32 || checks & 1023 == 0 else { return }
        walkRecords()
        #endif
    }

    #if MAILSLOT_INTERNAL_CHECKS
    private func walkRecords() {
        guard let storage else { return }
        var position = head
        var messages = 0
        while position != tail {
            let at = offset(position)
            let length = storage.load(fromByteOffset: at, as: UInt32.self)
            let span = Int(storage.load(fromByteOffset: at + 4, as: UInt32.self))
            precondition(span >= RingDescriptor.headerLength && span % RingDescriptor.alignment == 0, "bad span")
            precondition(at + span <= capacity, "record crosses the end of the storage")
            if length != RingDescriptor.paddingLength {
                let footprint = RingDescriptor.footprint(payload: Int(length))
                precondition(footprint <= span, "record overflows its span")
                precondition(span <= 2 * footprint, "record wastes more than its footprint")
                messages += 1
            }
            position += UInt64(span)
            precondition(position &- head <= UInt64(capacity), "walked past tail")
        }
        precondition(messages == messageCount, "message count mismatch")
    }
    #endif
}
