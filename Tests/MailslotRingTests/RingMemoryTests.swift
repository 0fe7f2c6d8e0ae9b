import MailslotRing
import MailslotTestSupport
import Testing

/// Space that tracks real sizes: packed batches, shrinking, the shared budget, pinning.
@Suite("Ring memory", .timeLimit(.minutes(5)))
struct RingMemoryTests {
    /// Claims `slots` slots of `slotPayload` bytes, fills slot `i` with `lengths(i)` bytes
    /// (nil: slot given up) and commits them. - Returns: the messages committed, or `nil` when
    /// the claim failed.
    static func receive(
        into ring: inout DatagramRing, slotPayload: Int, slots: Int, seed: Int, lengths: (Int) -> Int?
    ) -> [[UInt8]]? {
        guard let claim = ring.claim(slotPayload: slotPayload, maxSlots: slots, minSlots: min(slots, 8)) else { return nil }
        var committed: [[UInt8]] = []
        for index in 0..<claim.count {
            guard let length = lengths(index) else { continue }
            let bytes = message(length, seed: seed &+ index)
            bytes.withUnsafeBytes { if let base = $0.baseAddress { claim.payloadAddress(index).copyMemory(from: base, byteCount: length) } }
            committed.append(bytes)
        }
        ring.commit(claim, count: claim.count, length: lengths)
        return committed
    }

    @Test("a 1 MiB ring holds tens of thousands of small messages received through 512-byte slots")
    func smallMessagesInWideSlots() {
        var ring = DatagramRing(quota: 1 << 20)
        var queued = 0
        var batch = 0
        while let committed = Self.receive(into: &ring, slotPayload: 512, slots: 32, seed: batch, lengths: { _ in 16 }) {
            queued += committed.count
            batch += 1
        }
        #expect(queued > 30_000, "\(queued) messages")
        // Each costs at most twice its record size, and here exactly its record size.
        do { let ok = (ring.usedBytes <= 2 * queued * RingDescriptor.footprint(payload: 16)); #expect(ok) }
        for index in 0..<queued {
            if ring.popBytes()?.count != 16 {
                Issue.record("message \(index) is wrong")
                break
            }
        }
    }

    @Test("sweep: packed commits of mixed sizes, given-up slots and wraps keep FIFO, bytes and the 2× bound", arguments: [64, 200, 512, 1400])
    func packingSweep(slotPayload: Int) {
        var generator = SplitMix(seed: UInt64(slotPayload))
        var ring = DatagramRing(quota: 1 << 15, initialCapacity: 1 << 12)
        var model: [[UInt8]] = []
        for round in 0..<400 {
            let lengths = (0..<32).map { _ -> Int? in
                let pick = generator.next() % 10
                return pick == 0 ? nil : Int(generator.next() % UInt64(slotPayload + 1))
            }
            if let committed = Self.receive(into: &ring, slotPayload: slotPayload, slots: 32, seed: round, lengths: { lengths[$0] }) {
                model += committed
            }
            let live = model.reduce(0) { $0 + RingDescriptor.footprint(payload: $1.count) }
            // Records cost ≤ 2× their footprint; padding at one wrap adds less than a slot.
            do { let ok = (ring.usedBytes <= 2 * live + RingDescriptor.footprint(payload: slotPayload) * 2); #expect(ok) }
            for _ in 0..<Int(generator.next() % 40) {
                let popped = ring.popBytes()
                #expect(popped == (model.isEmpty ? nil : model.removeFirst()))
            }
            do { let ok = (ring.messageCount == model.count); #expect(ok) }
        }
        while let popped = ring.popBytes() { #expect(popped == model.removeFirst()) }
        #expect(model.isEmpty)
    }

    @Test("shrink moves queued messages into smaller storage, never below what they need")
    func shrink() {
        var ring = DatagramRing(quota: 1 << 20, initialCapacity: 4096)
        for index in 0..<500 { _ = ring.appendBytes(message(100, seed: index)) }
        do { let ok = (ring.allocatedBytes == 65536); #expect(ok) }
        for index in 0..<490 { do { let ok = (ring.popBytes() == message(100, seed: index)); #expect(ok) } }
        do { let ok = (ring.shrink(toFit: 0)); #expect(ok) }
        do { let ok = (ring.allocatedBytes == 4096); #expect(ok) }
        for index in 490..<500 { do { let ok = (ring.popBytes() == message(100, seed: index)); #expect(ok) } }
        ring.releaseStorageIfEmpty()
        do { let ok = (ring.allocatedBytes == 0); #expect(ok) }
    }

    @Test("rings sharing a budget never hold more than it together; a refused ring takes messages again once memory is back")
    func sharedBudget() {
        let budget = RingMemoryBudget(limit: 16384)
        var first = DatagramRing(quota: 1 << 20, initialCapacity: 4096, budget: budget)
        var second = DatagramRing(quota: 1 << 20, initialCapacity: 4096, budget: budget)
        var accepted = 0
        while first.appendBytes(message(100, seed: accepted)) { accepted += 1 }
        do { let ok = (first.allocatedBytes == 16384); #expect(ok) }
        #expect(budget.used == 16384)
        do { let ok = (!second.appendBytes(message(10, seed: 0))); #expect(ok) }
        #expect(budget.refusals > 0)
        while first.popBytes() != nil {}
        do { let ok = (first.shrink(toFit: 0)); #expect(ok) }
        #expect(budget.used == 4096)
        do { let ok = (second.appendBytes(message(10, seed: 0))); #expect(ok) }
        #expect(budget.used == 8192)
        first.releaseStorageIfEmpty()
        #expect(budget.used == 4096)
    }

    @Test("a pinned message stays in place: the ring takes what fits but neither grows nor shrinks")
    func pinning() throws {
        var ring = DatagramRing(quota: 1 << 16, initialCapacity: 256)
        _ = ring.appendBytes(message(50, seed: 1))
        let maybePinned = ring.pinNext()
        let pinned = try #require(maybePinned)
        var accepted = 0
        while ring.appendBytes(message(50, seed: 2 + accepted)) { accepted += 1 }
        do { let ok = (ring.allocatedBytes == 256); #expect(ok) }
        #expect(accepted == 3)  // four 64-byte records fill the 256 bytes
        do { let ok = (!ring.shrink(toFit: 0)); #expect(ok) }
        #expect(Array(pinned) == message(50, seed: 1))
        ring.unpin()
        do { let ok = (ring.popBytes() == message(50, seed: 1)); #expect(ok) }
        do { let ok = ring.appendBytes(message(500, seed: 9)); #expect(ok) }  // unpinned, it grows again
        do { let ok = (ring.allocatedBytes > 256); #expect(ok) }
    }

    @Test("capacity rounding: powers of two from the minimum to 2^62, clamped at both ends")
    func capacityRounding() {
        #expect(RingDescriptor.capacity(atLeast: -5) == RingDescriptor.minimumCapacity)
        #expect(RingDescriptor.capacity(atLeast: 64) == 64)
        #expect(RingDescriptor.capacity(atLeast: 65) == 128)
        #expect(RingDescriptor.capacity(atLeast: 1 << 40) == 1 << 40)
        #expect(RingDescriptor.capacity(atLeast: (1 << 40) + 1) == 1 << 41)
        #expect(RingDescriptor.capacity(atLeast: (1 << 62) + 1) == 1 << 62)
        #expect(RingDescriptor.capacity(atLeast: Int.max) == 1 << 62)
    }
}
