import Glibc
import MailslotCharts
import MailslotTestSupport
import Testing

/// The chart code both reports share: axes that tick at round numbers, marks that name their
/// rows, and SVG that holds no NaN whatever the data.
// Three minutes, though each test computes for microseconds: Swift Testing counts the time a test
// waits for a thread of its pool, and the test command's long synchronous tests hold both threads
// of a two-core machine for the first minute (these tests once failed at 60 s, unrun).
@Suite("Charts", .timeLimit(.minutes(3)))
struct ChartTests {
    @Test("a linear axis runs from zero to the first round tick at or above the top, in steps of 1, 2, 2.5 or 5 × 10ⁿ")
    func linearTicksAreRound() {
        let rates = Axis(values: [120_000, 7_100_000])
        #expect(!rates.logarithmic || rates.high / rates.low > 20)
        let linear = Axis(values: [120_000, 7_100_000], logarithmic: false)
        #expect(linear.ticks == [0, 2_000_000, 4_000_000, 6_000_000, 8_000_000])
        // A sweep from 1k to 8k, not from zero: 0, 2k … 8k, never 2.75k.
        let sweep = Axis(values: [1000, 2000, 4000, 8000], logarithmic: false, fromZero: false)
        #expect(sweep.ticks == [0, 2000, 4000, 6000, 8000])
        #expect(Axis(values: [0.37], logarithmic: false).ticks == [0, 0.1, 0.2, 0.3, 0.4])
    }

    @Test("a logarithmic axis spans whole decades, ticks 1, 2 and 5 of each, and ends on the decade that holds the top")
    func logarithmicTicksAreDecades() {
        let axis = Axis(values: [1, 100, 10_000])
        #expect(axis.logarithmic)
        #expect(axis.low == 1 && axis.high == 10_000)
        #expect(axis.ticks == [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000])
        #expect(axis.fraction(100) == 0.5)
    }

    @Test("property: for any values, every value lands inside the axis, ticks rise, and the last tick covers the top", arguments: 0..<50)
    func axisHoldsEveryValue(seed: Int) {
        var generator = SplitMix(seed: UInt64(seed))
        let values = (0..<Int.random(in: 1...12, using: &generator)).map { _ in
            Double.random(in: 0...1, using: &generator) * pow(10, Double(Int.random(in: -3...8, using: &generator)))
        }
        for logarithmic in [false, true] {
            let axis = Axis(values: values, logarithmic: logarithmic)
            #expect(zip(axis.ticks, axis.ticks.dropFirst()).allSatisfy { $0 < $1 }, "\(values)")
            #expect((axis.ticks.last ?? 0) >= values.max()! * 0.9999, "\(values) → \(axis.ticks)")
            for value in values where value > 0 || !logarithmic {
                let fraction = axis.fraction(value)
                #expect(fraction >= 0 && fraction <= 1)
            }
        }
    }

    @Test("every bar and point names the rows it was drawn from; a bar axis over more than 30× is logarithmic and says so")
    func marksNameTheirRows() {
        let bars = BarChart(title: "t", valueLabel: "msg/s", groups: [
            BarChart.Group(label: "424 B", bars: [
                BarChart.Bar(name: "ours", value: 600_000, color: "#000", rows: [0, 1]),
                BarChart.Bar(name: "c", value: 20_000_000, color: "#111", text: "20M · 0.03×", rows: [1]),
            ]),
        ]).svg()
        #expect(bars.contains("data-rows=\"0 1\"") && bars.contains("data-rows=\"1\""))
        #expect(bars.contains("msg/s (log scale)"))
        #expect(bars.contains("20M · 0.03×"))
        let line = LineChart(title: "t", xLabel: "x", yLabel: "y", series: [
            LineChart.Series(name: "a", points: [LineChart.Point(x: 1, y: 2, rows: [7])], color: "#000"),
        ]).svg()
        #expect(line.contains("data-rows=\"7\""))
    }

    @Test("charts with no data, one point, zeros or infinities draw a frame without NaN")
    func degenerateDataDrawsNoNaN() {
        let cases: [[Double]] = [[], [0], [5], [0, 0], [.infinity, 3], [.nan]]
        for values in cases {
            let line = LineChart(title: "t", xLabel: "x", yLabel: "y", series: [
                LineChart.Series(name: "a", points: values.map { LineChart.Point(x: $0, y: $0) }, color: "#000"),
            ]).svg()
            let bars = BarChart(title: "t", valueLabel: "v", groups: [
                BarChart.Group(label: "g", bars: values.map { BarChart.Bar(name: "b", value: $0, color: "#000") }),
            ]).svg()
            for svg in [line, bars] {
                #expect(svg.hasPrefix("<svg ") && svg.hasSuffix("</svg>"))
                #expect(!svg.contains("nan") && !svg.contains("inf\""), "\(values): \(svg)")
            }
        }
    }

    @Test("the page is XHTML with the charts' styles, text escaped")
    func pageEscapesText() {
        let page = ReportPage.render(title: "a < b & \"c\"", body: "<p>x</p>")
        #expect(page.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"))
        #expect(page.contains("<title>a &lt; b &amp; &quot;c&quot;</title>"))
        #expect(page.contains(".bar-label") && page.contains("@media print"))
    }
}
