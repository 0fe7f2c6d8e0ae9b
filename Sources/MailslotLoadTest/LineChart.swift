import Glibc

/// A line chart as inline SVG: series of points over shared axes, a legend, optional vertical
/// markers. The x axis is logarithmic when the values span more than a factor of 20 (a sweep
/// doubles its rate), linear otherwise.
struct LineChart {
    struct Series {
        var name: String
        var points: [(x: Double, y: Double)]
        var color: String
        var dashed = false
    }

    var title: String
    var xLabel: String
    var yLabel: String
    var series: [Series]
    var markers: [(x: Double, label: String)] = []
    var yMaximum: Double?

    static let width = 640.0, height = 360.0
    static let left = 70.0, right = 20.0, top = 36.0, bottom = 52.0

    func svg() -> String {
        let xs = series.flatMap { $0.points.map(\.x) } + markers.map(\.x)
        let ys = series.flatMap { $0.points.map(\.y) }
        let xMin = max(xs.min() ?? 1, 1e-9), xMax = max(xs.max() ?? 1, xMin * 1.0001)
        let logarithmic = xMax / xMin > 20
        // Ticks at round numbers (0, 2k, 4k…: steps of 1, 2, 2.5 or 5 times a power of ten),
        // the axis ending on the first tick at or above the highest value.
        let yStep = Self.niceStep((yMaximum ?? max(ys.max() ?? 1, 1e-9)) / 4)
        let yMax = (((yMaximum ?? max(ys.max() ?? 1, 1e-9)) / yStep).rounded(.up) * yStep).nonZero(or: yStep)
        let plotWidth = Self.width - Self.left - Self.right, plotHeight = Self.height - Self.top - Self.bottom
        func x(_ value: Double) -> Double {
            let fraction = logarithmic ? (log10(value) - log10(xMin)) / (log10(xMax) - log10(xMin)) : (value - xMin) / (xMax - xMin)
            return Self.left + max(0, min(1, fraction.isFinite ? fraction : 0)) * plotWidth
        }
        func y(_ value: Double) -> Double { Self.top + plotHeight * (1 - max(0, min(1, value / yMax))) }
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(Int(Self.width)) \(Int(Self.height))" role="img" aria-label="\(escape(title))">
            <text x="\(Int(Self.width / 2))" y="20" text-anchor="middle" class="title">\(escape(title))</text>
            <rect x="\(Self.left)" y="\(Self.top)" width="\(plotWidth)" height="\(plotHeight)" class="frame"/>

            """
        for tick in 0...Int((yMax / yStep).rounded()) {
            let value = yStep * Double(tick)
            svg += "<line x1=\"\(Self.left)\" x2=\"\(Self.left + plotWidth)\" y1=\"\(fmt(y(value)))\" y2=\"\(fmt(y(value)))\" class=\"grid\"/>"
            svg += "<text x=\"\(Self.left - 6)\" y=\"\(fmt(y(value) + 4))\" text-anchor=\"end\" class=\"tick\">\(Self.short(value))</text>\n"
        }
        for value in xTicks(xMin, xMax, logarithmic: logarithmic) {
            svg += "<text x=\"\(fmt(x(value)))\" y=\"\(fmt(Self.top + plotHeight + 16))\" text-anchor=\"middle\" class=\"tick\">\(Self.short(value))</text>\n"
        }
        svg += "<text x=\"\(fmt(Self.left + plotWidth / 2))\" y=\"\(fmt(Self.height - 10))\" text-anchor=\"middle\" class=\"axis\">\(escape(xLabel))</text>\n"
        svg += "<text transform=\"translate(16 \(fmt(Self.top + plotHeight / 2))) rotate(-90)\" text-anchor=\"middle\" class=\"axis\">\(escape(yLabel))</text>\n"
        for marker in markers {
            svg += "<line x1=\"\(fmt(x(marker.x)))\" x2=\"\(fmt(x(marker.x)))\" y1=\"\(Self.top)\" y2=\"\(Self.top + plotHeight)\" class=\"marker\"/>"
            // The label on the side with room (the knee is often the rightmost rate).
            let onLeft = x(marker.x) > Self.left + plotWidth * 0.7
            svg += "<text x=\"\(fmt(x(marker.x) + (onLeft ? -4 : 4)))\" y=\"\(fmt(Self.top + plotHeight - 8))\" text-anchor=\"\(onLeft ? "end" : "start")\" class=\"marker-label\">\(escape(marker.label))</text>\n"
        }
        for line in series where !line.points.isEmpty {
            let path = line.points.sorted { $0.x < $1.x }.map { "\(fmt(x($0.x))),\(fmt(y($0.y)))" }.joined(separator: " ")
            svg += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(line.color)\" stroke-width=\"1.6\"\(line.dashed ? " stroke-dasharray=\"5 4\"" : "")><title>\(escape(line.name))</title></polyline>\n"
            for point in line.points {
                svg += "<circle cx=\"\(fmt(x(point.x)))\" cy=\"\(fmt(y(point.y)))\" r=\"2.4\" fill=\"\(line.color)\"/>"
            }
            svg += "\n"
        }
        // The legend: at most 12 entries (a lab of 64 hosts keeps its lines, not its names).
        for (index, line) in series.prefix(12).enumerated() {
            let lx = Self.left + 10 + Double(index % 4) * 135, ly = Self.top + 14 + Double(index / 4) * 14
            svg += "<rect x=\"\(fmt(lx))\" y=\"\(fmt(ly - 8))\" width=\"10\" height=\"3\" fill=\"\(line.color)\"/>"
            svg += "<text x=\"\(fmt(lx + 14))\" y=\"\(fmt(ly - 4))\" class=\"legend\">\(escape(line.name))</text>\n"
        }
        if series.count > 12 {
            svg += "<text x=\"\(fmt(Self.left + 10))\" y=\"\(fmt(Self.top + 14 + 3 * 14))\" class=\"legend\">… and \(series.count - 12) more</text>\n"
        }
        return svg + "</svg>"
    }

    private func xTicks(_ low: Double, _ high: Double, logarithmic: Bool) -> [Double] {
        guard logarithmic else {
            let step = Self.niceStep((high - low) / 4)
            let first = (low / step).rounded(.up)
            return (0...8).map { (first + Double($0)) * step }.filter { $0 <= high * 1.0001 }
        }
        var ticks: [Double] = []
        var value = pow(10, floor(log10(low)))
        while value <= high * 1.0001 {
            for factor in [1.0, 2, 5] where value * factor >= low * 0.9999 && value * factor <= high * 1.0001 { ticks.append(value * factor) }
            value *= 10
        }
        return ticks
    }

    /// 1, 2, 2.5 or 5 times a power of ten, at or above `value`: a tick step.
    static func niceStep(_ value: Double) -> Double {
        guard value > 0, value.isFinite else { return 1 }
        let power = pow(10, floor(log10(value)))
        for factor in [1.0, 2, 2.5, 5] where factor * power >= value * 0.9999 { return factor * power }
        return 10 * power
    }

    /// 1, 2 or 5 times a power of ten, at or above `value`.
    static func niceCeiling(_ value: Double) -> Double {
        let power = pow(10, floor(log10(value)))
        for factor in [1.0, 2, 5, 10] where factor * power >= value { return factor * power }
        return 10 * power
    }

    /// `1.5k`, `2M`, `0.25`.
    static func short(_ value: Double) -> String {
        switch abs(value) {
        case 1_000_000...: return trim(value / 1_000_000) + "M"
        case 1000...: return trim(value / 1000) + "k"
        default: return trim(value)
        }
    }

    private static func trim(_ value: Double) -> String {
        let text = fixed(value, digits: 2)
        var trimmed = Substring(text)
        while trimmed.hasSuffix("0") { trimmed = trimmed.dropLast() }
        if trimmed.hasSuffix(".") { trimmed = trimmed.dropLast() }
        return String(trimmed)
    }
}

/// SVG coordinates with one decimal.
func fmt(_ value: Double) -> String { fixed(value, digits: 1) }

/// `value` with exactly `digits` decimals, rounded half away from zero (`printf`'s `%.Nf`
/// without Foundation).
func fixed(_ value: Double, digits: Int) -> String {
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

/// Text made safe for XML.
func escape(_ text: String) -> String {
    text.replacing("&", with: "&amp;").replacing("<", with: "&lt;").replacing(">", with: "&gt;").replacing("\"", with: "&quot;")
}

extension Double {
    /// This value, or `other` when this is zero.
    fileprivate func nonZero(or other: Double) -> Double { self == 0 ? other : self }
}
