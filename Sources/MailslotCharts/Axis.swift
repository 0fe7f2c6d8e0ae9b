import Glibc

/// One axis of a chart: where a value falls (0…1 along the axis) and the round values to tick.
///
/// Linear axes start at zero (or at the lowest value, for `fromZero: false`) and end on the
/// first round tick at or above the highest value; ticks are 1, 2, 2.5 or 5 times a power of
/// ten. Logarithmic axes span whole decades and tick 1, 2 and 5 of each.
public struct Axis: Sendable {
    /// The lowest value the axis shows.
    public let low: Double
    /// The highest value the axis shows.
    public let high: Double
    /// Whether values are placed by their logarithm.
    public let logarithmic: Bool
    /// The tick values, low to high.
    public let ticks: [Double]

    /// An axis that shows every one of `values`.
    /// - Parameters:
    ///   - values: what the axis must show (values that are not finite numbers are ignored;
    ///     a logarithmic axis also ignores those at or below zero).
    ///   - logarithmic: `nil` picks it: logarithmic when the positive values span more than
    ///     `automaticRatio`.
    ///   - fromZero: a linear axis starts at zero (rates, counts); `false` starts it at the
    ///     lowest value (a sweep's offered rates).
    ///   - automaticRatio: the span beyond which `logarithmic: nil` picks a logarithmic axis.
    ///   - maximum: the top of the axis, when it should not follow the values.
    public init(values: [Double], logarithmic: Bool? = nil, fromZero: Bool = true, automaticRatio: Double = 20, maximum: Double? = nil) {
        let finite = values.filter(\.isFinite)
        let positive = finite.filter { $0 > 0 }
        let smallest = positive.min() ?? 1, largest = max(maximum ?? positive.max() ?? 1, smallest)
        let useLog = logarithmic ?? (largest / smallest > automaticRatio)
        self.logarithmic = useLog
        if useLog {
            let first = pow(10, floor(log10(smallest) + 1e-9)), last = pow(10, ceil(log10(largest) - 1e-9))
            low = first
            high = max(last, first * 10)
            var ticks: [Double] = []
            var decade = low
            while decade <= high * 1.0001 {
                for factor in [1.0, 2, 5] where decade * factor <= high * 1.0001 { ticks.append(decade * factor) }
                decade *= 10
            }
            self.ticks = ticks
        } else {
            let top = maximum ?? max(finite.max() ?? 1, 1e-9)
            let bottom = fromZero ? 0 : min(finite.min() ?? 0, top)
            let step = SVG.niceStep((top - bottom) / 4)
            let start = fromZero ? 0 : (bottom / step).rounded(.down) * step
            let end = max(((top / step).rounded(.up) * step), start + step)
            low = start
            high = end
            // Multiples of the step counted from zero; a step below 1 divides by its inverse, so
            // 3 × 0.1 reads 0.3, not 0.30000000000000004.
            let first = (start / step).rounded(), inverse = (1 / step).rounded()
            self.ticks = (0...Int(((end - start) / step).rounded())).map { index in
                step < 1 ? (first + Double(index)) / inverse : (first + Double(index)) * step
            }
        }
    }

    /// Where `value` falls along the axis, 0 at `low` to 1 at `high` (clamped).
    public func fraction(_ value: Double) -> Double {
        let raw: Double
        if logarithmic {
            raw = value > 0 ? (log10(value) - log10(low)) / (log10(high) - log10(low)) : 0
        } else {
            raw = (value - low) / (high - low)
        }
        return raw.isFinite ? max(0, min(1, raw)) : 0
    }
}
