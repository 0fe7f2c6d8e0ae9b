@testable import MailslotEngine
import MailslotTestSupport
import Testing

/// The datagram service's path index against a `Dictionary` model: random sets and removals,
/// colliding home buckets, growth, and backward-shift deletion.
@Suite("Path index", .timeLimit(.minutes(5)))
struct PathIndexTests {
    @Test("100,000 random sets and removals agree with a Dictionary, with keys crowded into few home buckets", arguments: [1, 7, 1 << 20])
    func agreesWithDictionary(spread: Int) {
        var generator = SplitMix(seed: UInt64(spread))
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
