import Glibc
import MailslotLoadTest
import MailslotTestSupport
import Testing

/// The run's outputs: the HTML report (XML-valid, four plots), the table and the JSON.
@Suite("Load test: report outputs", .timeLimit(.minutes(10)))
struct ReportOutputTests {
    static let xmllint = access("/usr/bin/xmllint", X_OK) == 0

    /// A run of 3 hosts and 4 steps: one host loses at the two highest rates (kernel buffer
    /// and network), one never reports the last step, one step is coordinator-limited.
    static func syntheticRun() -> RunResult {
        func host(_ name: String, step: UInt16, sent: UInt64, lost: UInt64, kernel: UInt64, reported: Bool = true) -> HostStepResult {
            var report = AgentReport(host: name, run: 9, step: step)
            report.received = sent - lost
            report.unique = sent - lost
            report.latencyP50 = 200 + UInt64(step) * 100
            report.latencyP99 = 900 + UInt64(step) * 1000
            report.latencyP999 = 2000 + UInt64(step) * 2000
            if kernel > 0 { report.drops["service.kernel-buffer-full"] = kernel }
            return HostStepResult(host: name, report: reported ? report : nil, sent: sent, seconds: 1)
        }
        let rates = [1000, 2000, 4000, 8000]
        let steps = rates.enumerated().map { index, rate in
            let sent = UInt64(index == 3 ? rate / 2 : rate)
            let step = UInt16(index + 1)
            return StepResult(
                step: index + 1, offeredRate: rate, sent: sent, seconds: 1, sendRefused: 0,
                hosts: [
                    host("H1", step: step, sent: sent, lost: 0, kernel: 0),
                    host("H2", step: step, sent: sent, lost: index >= 2 ? sent / 10 : 0, kernel: index >= 2 ? sent / 20 : 0),
                    host("H10", step: step, sent: sent, lost: index == 3 ? sent : 0, kernel: 0, reported: index != 3),
                ])
        }
        return RunResult(
            run: 9, domain: "LAB", payload: 424, lossThresholdPercent: 0.1, hosts: ["H1", "H2", "H10"], steps: steps, knee: 2000,
            coordinatorLimit: 4000, latencyNeedsSynchronizedClocks: false)
    }

    @Test("the accounting per host: sent = received + lost by a counted cause + lost in the network")
    func accounting() {
        let step = Self.syntheticRun().steps[2]
        let h2 = step.hosts.first { $0.host == "H2" }!
        #expect(h2.lost == 400)
        #expect(h2.drops == ["service.kernel-buffer-full": 200])
        #expect(h2.unexplained == 200)
        #expect(h2.unique + h2.drops.values.reduce(0, +) + h2.unexplained == step.sent)
        #expect(step.slowestHost?.host == "H2")
        #expect(step.lossByCause == ["service.kernel-buffer-full": 200, "network": 200])
        let last = Self.syntheticRun().steps[3]
        #expect(last.missing == ["H10"])
        #expect(last.lossByCause["no-report"] == 4000)
        #expect(last.coordinatorLimited)
    }

    @Test(
        "the HTML report parses as XML (xmllint), holds the four plots and the table, and fetches nothing",
        .enabled(if: xmllint, "xmllint is not installed (scripts/setup-peers.sh installs libxml2-utils)"))
    func htmlReportIsValid() throws {
        let html = HTMLReport.render(Self.syntheticRun())
        let path = temporaryFile("report.html", html)
        defer { unlink(path) }
        let lint = try ChildProcess("/usr/bin/xmllint", ["--noout", path])
        #expect(lint.waitForExit(timeout: 30) == 0, "\(lint.standardError)")
        #expect(html.components("<svg ") == 4)
        for title in ["Delivered vs offered, per host", "Loss vs offered rate", "One-way latency vs offered rate", "Loss per host and step"] {
            #expect(html.contains(title))
        }
        #expect(html.contains("knee 2k/s"))
        #expect(html.contains("H10, step 4: 100.000% lost"))
        #expect(!html.contains("http://") || !html.replacingXMLNamespaces().contains("http://"), "no external resource")
        #expect(html.contains("@media print"))
    }

    @Test(
        "the HTML report renders in headless Chromium, on screen and printed to PDF",
        .enabled(if: HeadlessChromium.available, "chromium is not installed (scripts/setup-peers.sh installs it)"))
    func reportRendersInABrowser() throws {
        let page = temporaryFile("browser.html", HTMLReport.render(Self.syntheticRun()))
        defer { unlink(page) }
        let rendered = try HeadlessChromium.render(page)
        #expect(rendered.codes == [0, 0], "\(rendered.errors)")
        // A blank page compresses to almost nothing; four plots and a table do not.
        #expect(rendered.png.starts(with: HeadlessChromium.pngSignature), "not a PNG")
        #expect(rendered.png.count > 40_000, "screenshot of \(rendered.png.count) bytes")
        #expect(rendered.pdf.starts(with: Array("%PDF".utf8)), "not a PDF")
        #expect(rendered.pdf.count > 20_000, "PDF of \(rendered.pdf.count) bytes")
    }

    @Test("a run the sender limited, with no host losing: no knee, 'knee above' the rate sent in the JSON, the table and the headline; a sent line, no knee line; round ticks")
    func senderLimitedRun() throws {
        let run = Self.syntheticRun()
        // Every host receives everything; the last step could send only half its rate.
        let steps = run.steps.map { step in
            StepResult(
                step: step.step, offeredRate: step.offeredRate, sent: step.sent, seconds: 1, sendRefused: 0,
                hosts: step.hosts.map { host in
                    var report = AgentReport(host: host.host, run: 9, step: UInt16(step.step))
                    report.received = step.sent
                    report.unique = step.sent
                    return HostStepResult(host: host.host, report: report, sent: step.sent, seconds: 1)
                })
        }
        let limited = RunResult(
            run: 9, domain: "LAB", payload: 424, lossThresholdPercent: 0.1, hosts: run.hosts, steps: steps, knee: 4000,
            coordinatorLimit: 4000, latencyNeedsSynchronizedClocks: false)
        #expect(limited.knee == nil && limited.kneeAbove == 4000)
        let json = String(decoding: try limited.json(), as: UTF8.self)
        #expect(json.contains("\"kneeSummary\" : \"knee above 4000 msg\\/s (sender-limited; no host lost)\"") || json.contains("knee above 4000 msg/s (sender-limited; no host lost)"), "\(json)")
        #expect(ResultTable.render(limited).contains("knee above 4000 msg/s (sender-limited; no host lost): the coordinator could send no faster than 4000/s"))
        let html = HTMLReport.render(limited)
        #expect(html.contains("<strong>knee above 4000 msg/s (sender-limited; no host lost)</strong>"))
        #expect(!html.contains("class=\"marker\""), "a knee line in a sender-limited run")
        #expect(html.contains("<title>sent</title>"))
        #expect(html.contains("<th>sent/s</th>"))
        // Rates 1k–8k: ticks at 2k, 4k, 6k, 8k, never 2.75k.
        for tick in ["2k", "4k", "6k", "8k"] { #expect(html.contains("class=\"tick\">\(tick)</text>"), "\(tick)") }
        #expect(!html.contains("2.75k") && !html.contains("6.25k"))
    }

    @Test("the table has a row per step, names the knee, the missing host and the coordinator's limit")
    func table() {
        let text = ResultTable.render(Self.syntheticRun())
        let lines = text.split(separator: "\n")
        #expect(lines[0].hasPrefix("step  offered/s"))
        #expect(lines.filter { $0.first?.isNumber == true }.count == 4)
        #expect(text.contains("knee 2000 msg/s: the highest offered rate"))
        #expect(text.contains("step 4: no report from H10"))
        #expect(text.contains("step 4: sent only 4000/s of the offered 8000/s"))
    }
}
