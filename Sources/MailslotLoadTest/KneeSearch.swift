/// Finds the knee of a sweep: the highest offered rate at which every host's loss stays at or
/// under a threshold. It doubles the rate from a start until a step fails, then bisects between
/// the last rate that passed and the first that failed.
public struct KneeSearch: Sendable {
    /// The first rate tried, messages per second.
    public let start: Int
    /// The highest rate tried.
    public let maximum: Int
    /// Bisection steps after the first failure.
    public let refinements: Int
    /// The highest rate that passed so far.
    public private(set) var knee: Int?
    private var firstFailure: Int?
    private var refined = 0
    private var current: Int?

    /// A search from `start` up to `maximum`, refining `refinements` times.
    public init(start: Int = 1000, maximum: Int = 1_000_000, refinements: Int = 3) {
        self.start = max(1, start)
        self.maximum = max(self.start, maximum)
        self.refinements = refinements
    }

    /// The next rate to try, given whether the last one passed (`nil` before the first);
    /// `nil` when the search is over.
    public mutating func next(lastPassed: Bool?) -> Int? {
        if let rate = current, let passed = lastPassed {
            if passed { knee = max(knee ?? 0, rate) } else { firstFailure = min(firstFailure ?? rate, rate) }
        }
        current = nextRate()
        return current
    }

    private mutating func nextRate() -> Int? {
        guard let current else { return start }
        guard let failure = firstFailure else {
            // Still climbing: double, up to the maximum once.
            if current >= maximum { return nil }
            return min(current * 2, maximum)
        }
        guard refined < refinements else { return nil }
        let low = knee ?? 0
        // Close enough: the bracket is within 5 % (or a single message per second).
        guard failure - low > max(1, low / 20) else { return nil }
        refined += 1
        return low + (failure - low) / 2
    }
}
