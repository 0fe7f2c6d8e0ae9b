import MailslotRing
import MailslotTestSupport
import Testing

/// A reference model: a plain FIFO of byte arrays with the same space accounting rules checked
/// by outcome (accepted or not), not by layout.
struct RingModel {
    var messages: [[UInt8]] = []
}

func message(_ length: Int, seed: Int) -> [UInt8] {
    (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ seed) }
}

extension DatagramRing {
    mutating func appendBytes(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { append($0) }
    }

    mutating func popBytes() -> [UInt8]? {
        guard let bytes = withNextMessage({ Array($0) }) else { return nil }
        consumeNext()
        return bytes
    }
}

@Suite("Datagram ring", .timeLimit(.minutes(5)))
struct DatagramRingTests {
    @Test("a claim grows the ring until its minimum number of slots fits, and no further than the quota")
    func claimMinimumSlots() {
        var ring = DatagramRing(quota: 1 << 14, initialCapacity: 4096)
        do {
            let claim = ring.claim(slotPayload: 512, maxSlots: 32, minSlots: 8)
            let ok = (claim?.count ?? 0) >= 8 && ring.allocatedBytes == 8192
            #expect(ok)
            if let claim { ring.abort(claim) }
        }
        do {
            // At the quota a claim takes what fits, even fewer than the minimum.
            let claim = ring.claim(slotPayload: 4000, maxSlots: 32, minSlots: 8)
            let ok = ring.allocatedBytes == 1 << 14 && (claim?.count ?? 0) >= 1 && (claim?.count ?? 0) < 8
            #expect(ok)
            if let claim { ring.abort(claim) }
        }
        do {
            // The default asks for one slot: no growth beyond what one needs.
            var small = DatagramRing(quota: 1 << 20, initialCapacity: 4096)
            let claim = small.claim(slotPayload: 512, maxSlots: 32)
            let ok = small.allocatedBytes == 4096 && (claim?.count ?? 0) == 7
            #expect(ok)
            if let claim { small.abort(claim) }
        }
    }

    @Test("an idle ring allocates nothing")
    func lazyStorage() {
        let ring = DatagramRing(quota: 1 << 20)
        do { let ok = (ring.allocatedBytes == 0); #expect(ok) }
        do { let ok = (ring.isEmpty); #expect(ok) }
        do { let ok = (ring.nextMessageLength == nil); #expect(ok) }
    }

    @Test("messages come out whole and in order, zero-length ones included")
    func fifo() {
        var ring = DatagramRing(quota: 4096, initialCapacity: 64)
        for (index, length) in [1, 2, 0, 100, 7].enumerated() {
            do { let ok = (ring.appendBytes(message(length, seed: index))); #expect(ok) }
        }
        do { let ok = (ring.messageCount == 5); #expect(ok) }
        for (index, length) in [1, 2, 0, 100, 7].enumerated() {
            do { let ok = (ring.nextMessageLength == length); #expect(ok) }
            do { let ok = (ring.popBytes() == message(length, seed: index)); #expect(ok) }
        }
        do { let ok = (ring.popBytes() == nil); #expect(ok) }
    }

    @Test("inserts a padding record when a message does not fit before the end")
    func paddingAtWrap() {
        var ring = DatagramRing(quota: 128, initialCapacity: 128)
        do { let ok = (ring.appendBytes(message(40, seed: 1))); #expect(ok) }  // 48 bytes at 0
        do { let ok = (ring.appendBytes(message(40, seed: 2))); #expect(ok) }  // 48 bytes at 48
        do { let ok = (ring.popBytes() == message(40, seed: 1)); #expect(ok) }
        // 32 bytes left before the end: a 40-byte message pads and goes to offset 0.
        do { let ok = (ring.appendBytes(message(40, seed: 3))); #expect(ok) }
        do { let ok = (ring.popBytes() == message(40, seed: 2)); #expect(ok) }
        do { let ok = (ring.popBytes() == message(40, seed: 3)); #expect(ok) }
    }

    @Test("rejects a write when full at the quota, then accepts once space is consumed")
    func fullAtQuota() {
        var ring = DatagramRing(quota: 128, initialCapacity: 64)
        var accepted = 0
        while ring.appendBytes(message(24, seed: accepted)) { accepted += 1 }
        #expect(accepted == 4)
        do { let ok = (ring.allocatedBytes == 128); #expect(ok) }
        do { let ok = (ring.popBytes() == message(24, seed: 0)); #expect(ok) }
        do { let ok = (ring.appendBytes(message(24, seed: 99))); #expect(ok) }
    }

    @Test("grows by doubling up to the quota, keeping queued messages")
    func growth() {
        var ring = DatagramRing(quota: 1 << 16, initialCapacity: 64)
        for index in 0..<100 { do { let ok = (ring.appendBytes(message(100, seed: index))); #expect(ok) } }
        do { let ok = (ring.allocatedBytes == 16384); #expect(ok) }
        for index in 0..<100 { do { let ok = (ring.popBytes() == message(100, seed: index)); #expect(ok) } }
    }

    @Test("a batch claim commits some slots, packed to their real sizes, and gives the rest back")
    func batchClaim() throws {
        var ring = DatagramRing(quota: 4096, initialCapacity: 4096)
        let maybeClaim = ring.claim(slotPayload: 64, maxSlots: 8)
        let claim = try #require(maybeClaim)
        #expect(claim.count == 8)
        for index in 0..<3 {
            let bytes = message(10 + index, seed: index)
            bytes.withUnsafeBytes { claim.payloadAddress(index).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        }
        ring.commit(claim, count: 3) { 10 + $0 }
        do { let ok = (ring.messageCount == 3); #expect(ok) }
        // Slots were 72 bytes apart; 10–12 byte messages take 24 each once packed.
        do { let ok = (ring.usedBytes == 3 * RingDescriptor.footprint(payload: 12)); #expect(ok) }
        for index in 0..<3 { do { let ok = (ring.popBytes() == message(10 + index, seed: index)); #expect(ok) } }
    }

    @Test("a slot committed as padding is skipped by readers")
    func paddingSlot() throws {
        var ring = DatagramRing(quota: 4096)
        let maybeClaim = ring.claim(slotPayload: 16, maxSlots: 3)
        let claim = try #require(maybeClaim)
        for index in 0..<3 { claim.payloadAddress(index).storeBytes(of: UInt8(index), as: UInt8.self) }
        ring.commit(claim, count: 3) { $0 == 1 ? nil : 1 }
        do { let ok = (ring.popBytes() == [0]); #expect(ok) }
        do { let ok = (ring.popBytes() == [2]); #expect(ok) }
        do { let ok = (ring.isEmpty); #expect(ok) }
    }

    @Test("an aborted claim leaves the ring as it was")
    func abort() throws {
        var ring = DatagramRing(quota: 4096)
        do { let ok = (ring.appendBytes([1, 2, 3])); #expect(ok) }
        let used = ring.usedBytes
        let maybeClaim = ring.claim(slotPayload: 100, maxSlots: 4)
        let claim = try #require(maybeClaim)
        ring.abort(claim)
        do { let ok = (ring.usedBytes == used); #expect(ok) }
        do { let ok = (ring.popBytes() == [1, 2, 3]); #expect(ok) }
    }

    @Test("a read into a small buffer keeps the message queued")
    func shortRead() {
        var ring = DatagramRing(quota: 4096)
        do { let ok = (ring.appendBytes([1, 2])); #expect(ok) }
        var one = [UInt8](repeating: 0, count: 1)
        let result = one.withUnsafeMutableBytes { ring.read(into: $0) }
        #expect(result == .bufferTooSmall(needed: 2))
        do { let ok = (ring.messageCount == 1); #expect(ok) }
        var two = [UInt8](repeating: 0, count: 2)
        do { let ok = (two.withUnsafeMutableBytes { ring.read(into: $0) } == .read(2)); #expect(ok) }
        #expect(two == [1, 2])
    }

    @Test("a message larger than the quota is refused")
    func tooLarge() {
        var ring = DatagramRing(quota: 128)
        do { let ok = (!ring.appendBytes(message(200, seed: 0))); #expect(ok) }
        do { let ok = (ring.isEmpty); #expect(ok) }
    }

    @Test("sweep: every capacity × start offset × fill level × size pattern keeps FIFO and bytes")
    func sweep() {
        let patterns: [[Int]] = [[0], [1], [7, 8, 9], [56], [57, 0, 120], [3, 64, 1, 33]]
        for capacity in [64, 128, 256, 512] {
            for start in stride(from: 0, to: capacity, by: 8) {
                for fill in 0...4 {
                    for pattern in patterns {
                        var ring = DatagramRing(quota: capacity, initialCapacity: capacity)
                        // Move the head to `start` with a throwaway message.
                        if start >= 16, ring.appendBytes(message(start - 8, seed: 0)) { _ = ring.popBytes() }
                        var model: [[UInt8]] = []
                        var seed = 1
                        for step in 0..<(fill * pattern.count + 3) {
                            let bytes = message(pattern[step % pattern.count], seed: seed)
                            seed += 1
                            if ring.appendBytes(bytes) { model.append(bytes) }
                            if step % 3 == 2, !model.isEmpty {
                                do { let ok = (ring.popBytes() == model.removeFirst()); #expect(ok) }
                            }
                        }
                        do { let ok = (ring.messageCount == model.count); #expect(ok) }
                        for expected in model { do { let ok = (ring.popBytes() == expected); #expect(ok) } }
                        do { let ok = (ring.isEmpty); #expect(ok) }
                    }
                }
            }
        }
    }

    @Test("property: random operation sequences match a simple FIFO model", arguments: 0..<20)
    func property(seed: UInt64) {
        var generator = SplitMix(seed: seed)
        let quota = 64 << Int(generator.next() % 6)
        var ring = DatagramRing(quota: quota, initialCapacity: 64)
        var model: [[UInt8]] = []
        for step in 0..<2000 {
            switch generator.next() % 10 {
            case 0...4:
                let length = Int(generator.next() % UInt64(quota / 2))
                let bytes = message(length, seed: step)
                let accepted = ring.appendBytes(bytes)
                // A message always fits when the ring is empty and it is within the quota.
                if model.isEmpty, RingDescriptor.footprint(payload: length) <= quota { #expect(accepted) }
                if accepted { model.append(bytes) }
            case 5...8:
                let popped = ring.popBytes()
                #expect(popped == (model.isEmpty ? nil : model.removeFirst()))
            default:
                do { let ok = (ring.nextMessageLength == model.first?.count); #expect(ok) }
            }
            do { let ok = (ring.messageCount == model.count); #expect(ok) }
            do { let ok = (ring.usedBytes <= ring.allocatedBytes); #expect(ok) }
        }
    }
}
