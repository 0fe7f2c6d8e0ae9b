/// Horizontal grouped bars as inline SVG: one group per case (its label on the left), one bar
/// per measured thing in it, each with its text at the end (a rate, a ratio), and optional
/// vertical reference lines (a budget). The value axis is logarithmic when the bars span more
/// than a factor of 30, which the axis label then says.
///
/// A bar may name the data rows it stands for (`rows`), written as `data-rows`, as in
/// ``LineChart``.
public struct BarChart: Sendable {
    /// One bar.
    public struct Bar: Sendable {
        /// What the bar measures (the legend groups bars by it).
        public var name: String
        /// Its length.
        public var value: Double
        /// A CSS colour.
        public var color: String
        /// The text at the bar's end; the value's short form when `nil`.
        public var text: String?
        /// The source rows the bar stands for.
        public var rows: [Int]

        /// A bar for `name` of length `value`, in `color`, with `text` at its end.
        public init(name: String, value: Double, color: String, text: String? = nil, rows: [Int] = []) {
            self.name = name
            self.value = value
            self.color = color
            self.text = text
            self.rows = rows
        }
    }

    /// The bars of one case, under its label.
    public struct Group: Sendable {
        /// The case, written left of its bars.
        public var label: String
        /// Its bars, top to bottom.
        public var bars: [Bar]

        /// A group labelled `label`.
        public init(label: String, bars: [Bar]) {
            self.label = label
            self.bars = bars
        }
    }

    /// The heading above the plot.
    public var title: String
    /// The value axis's name.
    public var valueLabel: String
    /// The groups, top to bottom.
    public var groups: [Group]
    /// Vertical lines across every group (a budget, a target).
    public var references: [LineChart.Marker]
    /// `nil`: logarithmic when the bars span more than 30×.
    public var logarithmic: Bool?

    /// A chart titled `title` whose bars measure `valueLabel`.
    public init(title: String, valueLabel: String, groups: [Group], references: [LineChart.Marker] = [], logarithmic: Bool? = nil) {
        self.title = title
        self.valueLabel = valueLabel
        self.groups = groups
        self.references = references
        self.logarithmic = logarithmic
    }

    static let left = 250.0, right = 84.0, top = 36.0, barHeight = 11.0, barGap = 2.0, groupGap = 9.0

    /// The chart as one `<svg>` element, as tall as its bars need.
    public func svg() -> String {
        let width = LineChart.width
        let values = groups.flatMap { $0.bars.map(\.value) }.filter { $0 > 0 && $0.isFinite } + references.map(\.x)
        let axis = Axis(values: values, logarithmic: logarithmic, automaticRatio: 30)
        let names = legendNames()
        let legendRows = Double((min(names.count, 12) + 3) / 4)
        let plotTop = Self.top + legendRows * 14 + 4
        let plotWidth = width - Self.left - Self.right
        let bars = Double(groups.reduce(0) { $0 + $1.bars.count })
        let plotHeight = bars * (Self.barHeight + Self.barGap) + Double(groups.count) * Self.groupGap
        let height = plotTop + plotHeight + 44
        let n = SVG.number
        func x(_ value: Double) -> Double { Self.left + axis.fraction(value) * plotWidth }
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(Int(width)) \(Int(height.rounded(.up)))" role="img" aria-label="\(SVG.escape(title))">
            <text x="\(Int(width / 2))" y="20" text-anchor="middle" class="title">\(SVG.escape(title))</text>

            """
        svg += Legend.svg(names: names, left: 20, top: Self.top + 6)
        for value in axis.ticks {
            svg += "<line x1=\"\(n(x(value)))\" x2=\"\(n(x(value)))\" y1=\"\(n(plotTop))\" y2=\"\(n(plotTop + plotHeight))\" class=\"grid\"/>"
            svg += "<text x=\"\(n(x(value)))\" y=\"\(n(plotTop + plotHeight + 14))\" text-anchor=\"middle\" class=\"tick\">\(SVG.short(value))</text>\n"
        }
        var y = plotTop + Self.groupGap / 2
        for group in groups {
            let groupHeight = Double(group.bars.count) * (Self.barHeight + Self.barGap)
            svg += "<text x=\"\(n(Self.left - 6))\" y=\"\(n(y + groupHeight / 2 + 3))\" text-anchor=\"end\" class=\"tick\">\(SVG.escape(group.label))</text>\n"
            for bar in group.bars {
                // A value that is not a finite number draws as an empty bar, marked "–".
                let text = bar.value.isFinite ? (bar.text ?? SVG.short(bar.value)) : "–"
                let end = bar.value > 0 && bar.value.isFinite ? x(bar.value) : Self.left
                let rows = bar.rows.isEmpty ? "" : " data-rows=\"\(bar.rows.map(String.init).joined(separator: " "))\""
                svg += "<rect x=\"\(Self.left)\" y=\"\(n(y))\" width=\"\(n(max(end - Self.left, 0.5)))\" height=\"\(Self.barHeight)\" fill=\"\(bar.color)\"\(rows)>"
                svg += "<title>\(SVG.escape(group.label)): \(SVG.escape(bar.name)) \(SVG.escape(text))</title></rect>"
                svg += "<text x=\"\(n(end + 3))\" y=\"\(n(y + Self.barHeight - 2))\" class=\"bar-label\">\(SVG.escape(text))</text>\n"
                y += Self.barHeight + Self.barGap
            }
            y += Self.groupGap
        }
        svg += "<rect x=\"\(Self.left)\" y=\"\(n(plotTop))\" width=\"\(n(plotWidth))\" height=\"\(n(plotHeight))\" class=\"frame\"/>\n"
        for reference in references {
            svg += "<line x1=\"\(n(x(reference.x)))\" x2=\"\(n(x(reference.x)))\" y1=\"\(n(plotTop))\" y2=\"\(n(plotTop + plotHeight))\" class=\"marker\"/>"
            svg += "<text x=\"\(n(x(reference.x) + 3))\" y=\"\(n(plotTop - 3))\" class=\"marker-label\">\(SVG.escape(reference.label))</text>\n"
        }
        let label = valueLabel + (axis.logarithmic ? " (log scale)" : "")
        svg += "<text x=\"\(n(Self.left + plotWidth / 2))\" y=\"\(n(height - 8))\" text-anchor=\"middle\" class=\"axis\">\(SVG.escape(label))</text>\n"
        return svg + "</svg>"
    }

    /// Each bar name once, in order of appearance, with its colour.
    private func legendNames() -> [(name: String, color: String)] {
        var seen: Set<String> = []
        var names: [(name: String, color: String)] = []
        for bar in groups.flatMap(\.bars) where seen.insert(bar.name).inserted { names.append((bar.name, bar.color)) }
        return names
    }
}
