import FoundationEssentials
import Glibc
import MailslotCharts

/// The run as one self-contained HTML page (XHTML, so it parses as XML): inline SVG, inline
/// CSS, no script and no fetch. Four plots: delivered against offered rate per host, loss
/// against offered rate with the knee, latency percentiles against rate, and a host × step heat
/// map of loss; then the step table. Readable in a browser and printable (A4 landscape).
public enum HTMLReport {
    /// The page.
    public static func render(_ result: RunResult, title: String = "mailslot loadtest") -> String {
        let steps = result.steps
        let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"]
        let hosts = result.hosts
        let perHost = hosts.enumerated().map { index, host in
            LineChart.Series(
                name: host,
                points: steps.compactMap { step in
                    step.hosts.first { $0.host == host }.map { (Double(step.offeredRate), $0.deliveredPerSecond) }
                },
                color: palette[index % palette.count])
        }
        let ideal = LineChart.Series(
            name: "offered", points: steps.map { (Double($0.offeredRate), Double($0.offeredRate)) }, color: "#999999", dashed: true)
        // A knee line only where the hosts set the limit: when the sender did, delivery bends
        // because sending did, and the "sent" line shows it.
        let knee = result.knee.map { [LineChart.Marker(x: Double($0), label: "knee \(SVG.short(Double($0)))/s")] } ?? []
        let sent = LineChart.Series(
            name: "sent", points: steps.map { (Double($0.offeredRate), $0.sentPerSecond) }, color: "#000000", dashed: true)
        let delivered = LineChart(
            title: "Delivered vs offered, per host", xLabel: "offered rate (msg/s)", yLabel: "delivered (msg/s)",
            series: [ideal, sent] + perHost, markers: knee)
        let worst = LineChart.Series(
            name: "worst host", points: steps.map { (Double($0.offeredRate), $0.worstLossPercent) }, color: "#d62728")
        let median = LineChart.Series(
            name: "median host",
            points: steps.map { step in
                let losses = step.hosts.map { $0.reported ? $0.lossPercent : 100 }.sorted()
                return (Double(step.offeredRate), losses.isEmpty ? 0 : losses[losses.count / 2])
            }, color: "#1f77b4")
        let threshold = LineChart.Series(
            name: "threshold \(ResultTable.format(result.lossThresholdPercent, 2))%",
            points: steps.map { (Double($0.offeredRate), result.lossThresholdPercent) }, color: "#999999", dashed: true)
        let loss = LineChart(
            title: "Loss vs offered rate", xLabel: "offered rate (msg/s)", yLabel: "loss (%)", series: [worst, median, threshold],
            markers: knee, yMaximum: SVG.niceCeiling(max(steps.map(\.worstLossPercent).max() ?? 1, result.lossThresholdPercent * 2)))
        let latency = LineChart(
            title: "One-way latency vs offered rate", xLabel: "offered rate (msg/s)", yLabel: "latency (µs)",
            series: [
                LineChart.Series(name: "p50 (median host)", points: steps.map { (Double($0.offeredRate), Double($0.latency.p50)) }, color: "#2ca02c"),
                LineChart.Series(name: "p99 (worst host)", points: steps.map { (Double($0.offeredRate), Double($0.latency.p99)) }, color: "#ff7f0e"),
                LineChart.Series(name: "p99.9 (worst host)", points: steps.map { (Double($0.offeredRate), Double($0.latency.p999)) }, color: "#d62728"),
            ], markers: knee)
        let body = """
            <h1>\(SVG.escape(title)): \\\\\(SVG.escape(result.domain))\\mailslot\\\(LoadProtocol.agentMailslot)</h1>
            <p>Run \(result.run), \(hosts.count) hosts, \(result.payload)-byte messages, pass threshold \(ResultTable.format(result.lossThresholdPercent, 2))% loss on every host.
            <strong>\(SVG.escape(result.kneeSummary ?? RunResult.summary(knee: result.knee, above: result.kneeAbove)))</strong>.</p>
            <div class="plots">
            <figure>\(delivered.svg())</figure>
            <figure>\(loss.svg())</figure>
            <figure>\(latency.svg())</figure>
            <figure>\(heatMap(result))</figure>
            </div>
            <h2>Steps</h2>
            \(table(result))
            <p>Loss = sent − distinct received. Causes: <code>engine.*</code> and <code>service.*</code> were counted on the host
            (<code>service.kernel-buffer-full</code>: its socket's receive buffer, from <code>SO_RXQ_OVFL</code>);
            <code>network</code>: counted nowhere on the host; <code>no-report</code>: the host never reported.</p>
            """
        return ReportPage.render(title: title, body: body)
    }

    /// Hosts down, steps across, each cell coloured by the host's loss in that step.
    static func heatMap(_ result: RunResult) -> String {
        let hosts = result.hosts, steps = result.steps
        // The same frame as the line charts, so all four plots scale alike.
        let width = LineChart.width, height = LineChart.height
        let left = 90.0, top = 40.0
        let cellWidth = min(80, (width - left - 20) / Double(max(1, steps.count)))
        let cellHeight = min(24, (height - top - 64) / Double(max(1, hosts.count)))
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(Int(width)) \(Int(height))" role="img" aria-label="Loss per host and step">
            <text x="\(Int(width / 2))" y="20" text-anchor="middle" class="title">Loss per host and step</text>

            """
        for (column, step) in steps.enumerated() {
            let x = left + Double(column) * cellWidth
            if cellWidth >= 24 || column % Int((24 / cellWidth).rounded(.up)) == 0 {
                svg += "<text x=\(quote(x + cellWidth / 2)) y=\(quote(top - 6)) text-anchor=\"middle\" class=\"tick\">\(SVG.short(Double(step.offeredRate)))</text>\n"
            }
            for (row, host) in hosts.enumerated() {
                let figures = step.hosts.first { $0.host == host }
                let lossValue = figures.map { $0.reported ? $0.lossPercent : 100 } ?? 100
                let y = top + Double(row) * cellHeight
                svg += "<rect x=\(quote(x)) y=\(quote(y)) width=\(quote(cellWidth - 1)) height=\(quote(cellHeight - 1)) fill=\"\(color(lossValue))\">"
                svg += "<title>\(SVG.escape(host)), step \(step.step): \(ResultTable.format(lossValue, 3))% lost</title></rect>\n"
            }
        }
        if cellHeight >= 9 {
            for (row, host) in hosts.enumerated() {
                svg += "<text x=\(quote(left - 6)) y=\(quote(top + Double(row) * cellHeight + cellHeight - 3)) text-anchor=\"end\" class=\"tick\">\(SVG.escape(host))</text>\n"
            }
        }
        let legendY = top + cellHeight * Double(hosts.count) + 16
        for (index, level) in [0.0, 0.1, 1, 10, 100].enumerated() {
            let x = left + Double(index) * 100
            svg += "<rect x=\(quote(x)) y=\(quote(legendY)) width=\"12\" height=\"12\" fill=\"\(color(level))\"/>"
            svg += "<text x=\(quote(x + 16)) y=\(quote(legendY + 10)) class=\"legend\">\(level == 0 ? "0" : ResultTable.format(level, level < 1 ? 1 : 0))% lost</text>\n"
        }
        svg += "<text x=\(quote(left)) y=\(quote(legendY + 30)) class=\"axis\">steps across (offered msg/s above), hosts down</text>\n"
        return svg + "</svg>"
    }

    /// White for no loss, then yellow to dark red on a logarithmic scale (0.01 % to 100 %).
    static func color(_ lossPercent: Double) -> String {
        guard lossPercent > 0 else { return "#f7fbf7" }
        let fraction = max(0, min(1, (log10(lossPercent) + 2) / 4))
        let red = Int(255 - 80 * fraction), green = Int(230 * (1 - fraction)), blue = Int(80 * (1 - fraction))
        return "#" + [red, green, blue].map { ($0 < 16 ? "0" : "") + String(UInt8(clamping: $0), radix: 16) }.joined()
    }

    private static func quote(_ value: Double) -> String { "\"\(SVG.number(value))\"" }

    static func table(_ result: RunResult) -> String {
        var html = "<table>\n<tr><th>step</th><th>offered/s</th><th>sent/s</th><th>delivered/s (sum)</th><th>min/host</th><th>median</th><th>max/host</th><th>loss %</th><th>dups</th><th>ooo</th><th>p50 µs</th><th>p99 µs</th><th>p99.9 µs</th><th>lost by cause</th><th>slowest host</th></tr>\n"
        for step in result.steps {
            let delivered = step.delivered, latency = step.latency
            let causes = step.lossByCause.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            html += "<tr><td>\(step.step)</td><td>\(ResultTable.count(Double(step.offeredRate)))</td><td>\(ResultTable.count(step.sentPerSecond))</td>"
            html += "<td>\(ResultTable.count(delivered.sum))</td>"
            html += "<td>\(ResultTable.count(delivered.min))</td><td>\(ResultTable.count(delivered.median))</td><td>\(ResultTable.count(delivered.max))</td>"
            html += "<td>\(ResultTable.format(step.worstLossPercent, 3))</td><td>\(step.duplicates)</td><td>\(step.outOfOrder)</td>"
            html += "<td>\(latency.p50)</td><td>\(latency.p99)</td><td>\(latency.p999)</td>"
            html += "<td class=\"text\">\(SVG.escape(causes.isEmpty ? "none" : causes))</td><td class=\"text\">\(SVG.escape(step.slowestHost?.host ?? "-"))</td></tr>\n"
        }
        return html + "</table>"
    }
}

extension RunResult {
    /// Every figure as JSON: per step, per host.
    public func json() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return Array(try encoder.encode(self))
    }
}
