/// How often the responder answers one source address: a token bucket per address, so a
/// flood of queries with a forged source cannot turn the responder into a reflector.
///
/// Each address may have `burst` answers at once, then `perSecond` more each second. The table
/// holds at most `maximumSources` addresses; when a new one finds it full, the oldest half is
/// forgotten (a forgotten address starts again with a full bucket, so memory stays bounded and
/// the rate per address holds within a factor of two).
struct AnswerRateLimit {
    let perSecond: Double
    let burst: Double
    let maximumSources: Int
    private var buckets: [UInt32: (tokens: Double, last: Double)] = [:]
    /// Queries not answered because their source was over its rate.
    private(set) var refused = 0

    init(perSecond: Double, burst: Double, maximumSources: Int = 4096) {
        self.perSecond = perSecond
        self.burst = burst
        self.maximumSources = maximumSources
    }

    /// Whether `source` may have an answer at time `now` (seconds); takes a token if so.
    mutating func allow(_ source: UInt32, now: Double) -> Bool {
        if buckets[source] == nil, buckets.count >= maximumSources { forgetOldest() }
        var bucket = buckets[source] ?? (burst, now)
        bucket.tokens = min(burst, bucket.tokens + (now - bucket.last) * perSecond)
        bucket.last = now
        let allowed = bucket.tokens >= 1
        if allowed { bucket.tokens -= 1 } else { refused += 1 }
        buckets[source] = bucket
        return allowed
    }

    private mutating func forgetOldest() {
        let byAge = buckets.sorted { $0.value.last < $1.value.last }
        for (source, _) in byAge.prefix(buckets.count / 2) { buckets[source] = nil }
    }
}
