@testable import MailslotEngine
import Testing

/// The datagram service's path index against a `Dictionary` model: random sets and removals,
/// colliding home buckets, growth, and backward-shift deletion.
@Suite("Path index")
struct PathIndexTests {
    /// A generator with a fixed seed (splitmix64), so a failure repeats.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test("100,000 random sets and removals agree with a Dictionary, with keys crowded into few home buckets", arguments: [1, 7, 1 << 20])
    func agreesWithDictionary(spread: Int) {
        var generator = SeededGenerator(state: UInt64(spread))
        var index = PathIndex()
        var model: [PathHash: Int] = [:]
        // Low words drawn from `spread` values: with 1, every key has the same home bucket.
        let keys = (0..<2000).map { key in
            PathHash(low: UInt64(Int.random(in: 0..<spread, using: &generator)) << 8, high: UInt64(key))
        }
        var mismatches = 0
        for _ in 0..<100_000 {
            let key = keys[Int.random(in: 0..<keys.count, using: &generator)]
            let slot = Int.random(in: 0..<64, using: &generator)
            if Bool.random(using: &generator) {
                index.set(key, to: slot)
                model[key] = slot
            } else {
                index.remove(key, ifSlot: slot)
                if model[key] == slot { model[key] = nil }
            }
            let probe = keys[Int.random(in: 0..<keys.count, using: &generator)]
            if index[probe] != model[probe] { mismatches += 1 }
        }
        #expect(mismatches == 0)
        #expect(index.count == model.count)
        #expect(keys.allSatisfy { index[$0] == model[$0] })
    }
}
