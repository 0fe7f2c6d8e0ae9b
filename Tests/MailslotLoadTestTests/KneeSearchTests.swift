import MailslotLoadTest
import Testing

/// The knee search on synthetic hosts: a host that loses nothing up to a capacity, then
/// everything above it.
@Suite("Load test: the knee search", .timeLimit(.minutes(5)))
struct KneeSearchTests {
    /// Runs a search against a capacity. - Returns: the rates tried and the knee found.
    static func search(capacity: Int, start: Int = 1000, maximum: Int = 1_000_000) -> (rates: [Int], knee: Int?) {
        var search = KneeSearch(start: start, maximum: maximum)
        var rates: [Int] = []
        var passed: Bool?
        while let rate = search.next(lastPassed: passed) {
            rates.append(rate)
            passed = rate <= capacity
            if rates.count > 40 { break }
        }
        return (rates, search.knee)
    }

    @Test("doubling then bisection lands within 12.5 % under the capacity, never above it", arguments: [1500, 3000, 7777, 50_000, 123_456, 999_999])
    func findsTheKnee(capacity: Int) throws {
        let (rates, knee) = Self.search(capacity: capacity)
        let found = try #require(knee)
        #expect(found <= capacity)
        #expect(Double(found) >= Double(capacity) * 0.875, "rates tried: \(rates)")
        #expect(rates.count <= 15)
        #expect(Array(rates.prefix(2)) == [1000, 2000])
    }

    @Test("a domain that loses at the first rate has no knee; one that never loses stops at the maximum")
    func edges() {
        let none = Self.search(capacity: 10)
        #expect(none.knee == nil || none.knee! <= 10)
        #expect(none.rates.first == 1000)
        let all = Self.search(capacity: .max, maximum: 64_000)
        #expect(all.knee == 64_000)
        #expect(all.rates == [1000, 2000, 4000, 8000, 16_000, 32_000, 64_000])
    }
}
