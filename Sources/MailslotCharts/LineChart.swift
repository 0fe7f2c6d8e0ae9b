/// A line chart as inline SVG: series of points over shared axes, a legend, optional vertical
/// markers (a knee). The x axis is logarithmic when its values span more than a factor of 20
/// (a sweep that doubles its rate, 1 to 10,000 mailslots), linear otherwise; the y axis is
/// linear from zero unless asked to be logarithmic (latencies).
///
/// A point may name the data rows it was drawn from (`rows`): each then carries a
/// `data-rows="3 4"` attribute, so a test can check that every row of the source is drawn.
public struct LineChart: Sendable {
    /// One point, and the source rows it stands for.
    public struct Point: Sendable {
        /// Where the point is along the x axis.
        public var x: Double
        /// Where the point is along the y axis.
        public var y: Double
        /// The source rows the point was drawn from.
        public var rows: [Int]

        /// A point at (`x`, `y`) drawn from `rows`.
        public init(x: Double, y: Double, rows: [Int] = []) {
            self.x = x
            self.y = y
            self.rows = rows
        }
    }

    /// One line.
    public struct Series: Sendable {
        /// The legend's name for the line.
        public var name: String
        /// The line's points (drawn in x order).
        public var points: [Point]
        /// A CSS colour.
        public var color: String
        /// Drawn dashed (references, baselines).
        public var dashed: Bool

        /// A line named `name` through `points`, in `color` (CSS), dashed for references.
        public init(name: String, points: [Point], color: String, dashed: Bool = false) {
            self.name = name
            self.points = points
            self.color = color
            self.dashed = dashed
        }

        /// A line through plain (x, y) pairs.
        public init(name: String, points: [(x: Double, y: Double)], color: String, dashed: Bool = false) {
            self.init(name: name, points: points.map { Point(x: $0.x, y: $0.y) }, color: color, dashed: dashed)
        }
    }

    /// A vertical line at `x`, labelled.
    public struct Marker: Sendable {
        /// Where the line stands along the x axis.
        public var x: Double
        /// The text beside it.
        public var label: String

        /// A marker at `x` labelled `label`.
        public init(x: Double, label: String) {
            self.x = x
            self.label = label
        }
    }

    /// The heading above the plot.
    public var title: String
    /// The x axis's name.
    public var xLabel: String
    /// The y axis's name.
    public var yLabel: String
    /// The lines.
    public var series: [Series]
    /// Vertical lines (a knee).
    public var markers: [Marker]
    /// The top of the y axis, when it should not follow the data.
    public var yMaximum: Double?
    /// A logarithmic y axis (latencies spanning decades).
    public var yLogarithmic: Bool
    /// `nil`: logarithmic when x spans more than 20×.
    public var xLogarithmic: Bool?

    /// A chart titled `title`; see the properties.
    public init(
        title: String, xLabel: String, yLabel: String, series: [Series], markers: [Marker] = [], yMaximum: Double? = nil,
        yLogarithmic: Bool = false, xLogarithmic: Bool? = nil
    ) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
        self.markers = markers
        self.yMaximum = yMaximum
        self.yLogarithmic = yLogarithmic
        self.xLogarithmic = xLogarithmic
    }

    /// The frame every chart of a report shares, in SVG user units.
    public static let width = 640.0
    /// The height of a line chart (bar charts grow with their bars).
    public static let height = 360.0
    static let left = 70.0, right = 20.0, top = 36.0, bottom = 52.0

    /// The chart as one `<svg>` element. Points with a coordinate that is not a finite number
    /// are left out.
    public func svg() -> String {
        var series = self.series
        for index in series.indices { series[index].points.removeAll { !$0.x.isFinite || !$0.y.isFinite } }
        let xAxis = Axis(values: series.flatMap { $0.points.map(\.x) } + markers.map(\.x), logarithmic: xLogarithmic, fromZero: false)
        let yAxis = Axis(values: series.flatMap { $0.points.map(\.y) }, logarithmic: yLogarithmic, maximum: yMaximum)
        let plotWidth = Self.width - Self.left - Self.right, plotHeight = Self.height - Self.top - Self.bottom
        func x(_ value: Double) -> Double { Self.left + xAxis.fraction(value) * plotWidth }
        func y(_ value: Double) -> Double { Self.top + plotHeight * (1 - yAxis.fraction(value)) }
        let n = SVG.number
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(Int(Self.width)) \(Int(Self.height))" role="img" aria-label="\(SVG.escape(title))">
            <text x="\(Int(Self.width / 2))" y="20" text-anchor="middle" class="title">\(SVG.escape(title))</text>
            <rect x="\(Self.left)" y="\(Self.top)" width="\(plotWidth)" height="\(plotHeight)" class="frame"/>

            """
        for value in yAxis.ticks {
            svg += "<line x1=\"\(Self.left)\" x2=\"\(Self.left + plotWidth)\" y1=\"\(n(y(value)))\" y2=\"\(n(y(value)))\" class=\"grid\"/>"
            svg += "<text x=\"\(Self.left - 6)\" y=\"\(n(y(value) + 4))\" text-anchor=\"end\" class=\"tick\">\(SVG.short(value))</text>\n"
        }
        for value in xAxis.ticks {
            svg += "<text x=\"\(n(x(value)))\" y=\"\(n(Self.top + plotHeight + 16))\" text-anchor=\"middle\" class=\"tick\">\(SVG.short(value))</text>\n"
        }
        let xName = xLabel + (xAxis.logarithmic ? " (log scale)" : ""), yName = yLabel + (yAxis.logarithmic ? " (log scale)" : "")
        svg += "<text x=\"\(n(Self.left + plotWidth / 2))\" y=\"\(n(Self.height - 10))\" text-anchor=\"middle\" class=\"axis\">\(SVG.escape(xName))</text>\n"
        svg += "<text transform=\"translate(16 \(n(Self.top + plotHeight / 2))) rotate(-90)\" text-anchor=\"middle\" class=\"axis\">\(SVG.escape(yName))</text>\n"
        for (index, marker) in markers.enumerated() {
            svg += "<line x1=\"\(n(x(marker.x)))\" x2=\"\(n(x(marker.x)))\" y1=\"\(Self.top)\" y2=\"\(Self.top + plotHeight)\" class=\"marker\"/>"
            // The label on the side with room (the knee is often the rightmost rate).
            let onLeft = x(marker.x) > Self.left + plotWidth * 0.7
            svg += "<text x=\"\(n(x(marker.x) + (onLeft ? -4 : 4)))\" y=\"\(n(Self.top + plotHeight - 8 - 14 * Double(index)))\" text-anchor=\"\(onLeft ? "end" : "start")\" class=\"marker-label\">\(SVG.escape(marker.label))</text>\n"
        }
        for line in series where !line.points.isEmpty {
            let path = line.points.sorted { $0.x < $1.x }.map { "\(n(x($0.x))),\(n(y($0.y)))" }.joined(separator: " ")
            svg += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(line.color)\" stroke-width=\"1.6\"\(line.dashed ? " stroke-dasharray=\"5 4\"" : "")><title>\(SVG.escape(line.name))</title></polyline>\n"
            for point in line.points {
                let rows = point.rows.isEmpty ? "" : " data-rows=\"\(point.rows.map(String.init).joined(separator: " "))\""
                svg += "<circle cx=\"\(n(x(point.x)))\" cy=\"\(n(y(point.y)))\" r=\"2.4\" fill=\"\(line.color)\"\(rows)/>"
            }
            svg += "\n"
        }
        svg += Legend.svg(names: series.map { ($0.name, $0.color) }, left: Self.left + 10, top: Self.top + 14)
        return svg + "</svg>"
    }
}
