import Glibc

/// Number and text formatting for SVG and XHTML, without Foundation.
public enum SVG {
    /// A coordinate with one decimal.
    public static func number(_ value: Double) -> String { fixed(value, digits: 1) }

    /// `value` with exactly `digits` decimals, rounded half away from zero (`printf`'s `%.Nf`).
    public static func fixed(_ value: Double, digits: Int) -> String {
        guard value.isFinite else { return value.isNaN ? "nan" : (value < 0 ? "-inf" : "inf") }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        guard scaled < 9e18 else { return String(value) }
        let units = UInt64(scaled), whole = units / UInt64(scale), fraction = units % UInt64(scale)
        let sign = value < 0 && units > 0 ? "-" : ""
        guard digits > 0 else { return "\(sign)\(whole)" }
        let decimals = String(fraction)
        return "\(sign)\(whole)." + String(repeating: "0", count: digits - decimals.count) + decimals
    }

    /// Text made safe for XML (element text and quoted attributes).
    public static func escape(_ text: String) -> String {
        text.replacing("&", with: "&amp;").replacing("<", with: "&lt;").replacing(">", with: "&gt;").replacing("\"", with: "&quot;")
    }

    /// `1.5k`, `2M`, `0.25`: a short axis label.
    public static func short(_ value: Double) -> String {
        switch abs(value) {
        case 1_000_000...: return trim(value / 1_000_000) + "M"
        case 1000...: return trim(value / 1000) + "k"
        default: return trim(value)
        }
    }

    /// `value` with up to two decimals, trailing zeros dropped.
    static func trim(_ value: Double) -> String {
        var trimmed = Substring(fixed(value, digits: value != 0 && abs(value) < 0.1 ? 3 : 2))
        while trimmed.contains("."), trimmed.hasSuffix("0") { trimmed = trimmed.dropLast() }
        if trimmed.hasSuffix(".") { trimmed = trimmed.dropLast() }
        return String(trimmed)
    }

    /// 1, 2, 2.5 or 5 times a power of ten, at or above `value`: a tick step.
    public static func niceStep(_ value: Double) -> Double {
        guard value > 0, value.isFinite else { return 1 }
        let power = pow(10, floor(log10(value)))
        for factor in [1.0, 2, 2.5, 5] where factor * power >= value * 0.9999 { return factor * power }
        return 10 * power
    }

    /// 1, 2 or 5 times a power of ten, at or above `value`.
    public static func niceCeiling(_ value: Double) -> Double {
        guard value > 0, value.isFinite else { return 1 }
        let power = pow(10, floor(log10(value)))
        for factor in [1.0, 2, 5, 10] where factor * power >= value { return factor * power }
        return 10 * power
    }
}
