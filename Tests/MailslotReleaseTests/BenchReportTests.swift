import Glibc
import MailslotTestSupport
import Testing

/// `mailslot-bench --report`, run as users run it (the release build the test command made): on
/// a short real run, and on the saved full-profile run the documentation shows
/// (docs/images/bench-report.json). The report must parse as XHTML, draw every row of the JSON
/// it was made from, and render in a browser, on screen and on paper.
@Suite("The benchmark's report", .serialized, .timeLimit(.minutes(3)))
struct BenchReportTests {
    static let bench = BenchmarkCompareTests.bench
    static let xmllint = access("/usr/bin/xmllint", X_OK) == 0
    static let savedRun = Release.packageRoot + "/docs/images/bench-report.json"

    @Test(
        "a short real run (b, c, d, e): its report parses as XHTML, draws every JSON row in its scenario's plots, marks each target and names the machine",
        .enabled(if: xmllint, "xmllint is not installed (scripts/setup-peers.sh installs libxml2-utils)"))
    func shortRunReport() async throws {
        let folder = Release.scratchFolder("bench-report")
        defer { Release.remove(folder) }
        let run = try await Release.shell(
            "'\(Self.bench)' run --scenarios b,c,d,e --seconds 0.2 --repetitions 1 --json '\(folder)/run.json' --report '\(folder)/report.html'",
            timeout: 150)
        #expect(run.code == 0, "\(run.stderr)")
        #expect(run.stderr.contains("report: \(folder)/report.html"))
        let lint = try await Release.shell("xmllint --noout '\(folder)/report.html'")
        #expect(lint.code == 0, "\(lint.stderr)")
        let html = readTextFile(folder + "/report.html") ?? ""
        let rows = Self.scenarios(ofRowsIn: readTextFile(folder + "/run.json") ?? "")
        #expect(Set(rows) == ["b", "c", "d", "e"], "\(rows)")
        Self.expectEveryRowDrawn(rows, in: html)
        #expect(html.contains("<td class=\"text\">b: 424 B, 8 writers, shared memory, vs c-shm-mpsc</td>"))
        #expect(html.contains("not measured"), "targets of scenarios that did not run say so")
        #expect(html.contains("Machine: ") && html.contains(" CPUs, Linux "))
        #expect(!html.contains("<script") && !html.replacingXMLNamespaces().contains("http://"), "self-contained")
    }

    @Test(
        "the saved full-profile run: its report draws every row of scenarios a to g, and renders in headless Chromium on screen and printed to PDF",
        .enabled(if: xmllint && HeadlessChromium.available, "xmllint and chromium are needed (scripts/setup-peers.sh)"))
    func savedRunReportRenders() async throws {
        let folder = Release.scratchFolder("bench-saved")
        defer { Release.remove(folder) }
        let page = folder + "/report.html"
        let run = try await Release.shell("'\(Self.bench)' run --from '\(Self.savedRun)' --report '\(page)'")
        #expect(run.code == 0, "\(run.stderr)")
        let lint = try await Release.shell("xmllint --noout '\(page)'")
        #expect(lint.code == 0, "\(lint.stderr)")
        let html = readTextFile(page) ?? ""
        let rows = Self.scenarios(ofRowsIn: readTextFile(Self.savedRun) ?? "")
        #expect(Set(rows).isSuperset(of: ["a", "b", "c", "d", "e", "f", "g"]), "\(Set(rows))")
        Self.expectEveryRowDrawn(rows, in: html)
        #expect(html.components("<span class=\"met\">met</span>") + html.components("<span class=\"missed\">not met</span>") == 10)
        let rendered = try await TestThread.await { try HeadlessChromium.render(page) }
        #expect(rendered.codes == [0, 0], "\(rendered.errors)")
        #expect(rendered.png.starts(with: HeadlessChromium.pngSignature) && rendered.png.count > 60_000, "screenshot of \(rendered.png.count) bytes")
        #expect(rendered.pdf.starts(with: Array("%PDF".utf8)) && rendered.pdf.count > 40_000, "PDF of \(rendered.pdf.count) bytes")
    }

    /// Each row's scenario, by its index in a `--json` file (one row per line, as it writes them).
    static func scenarios(ofRowsIn json: String) -> [String] {
        json.split(separator: "\n").filter { $0.hasPrefix("  {") }.map { line in
            let afterKey = line.split(separator: "\"scenario\": \"", maxSplits: 1).dropFirst().first ?? ""
            return String(afterKey.prefix { $0 != "\"" })
        }
    }

    /// Every row (but the soak's, which the report lists in its table) is named by a mark of a
    /// figure of its own scenario.
    static func expectEveryRowDrawn(_ scenarios: [String], in html: String) {
        var drawn: [String: Set<Int>] = [:]
        for figure in html.split(separator: "<figure data-scenario=\"").dropFirst() {
            let scenario = String(figure.prefix { $0 != "\"" })
            let body = figure.split(separator: "</figure>", maxSplits: 1).first ?? ""
            for mark in body.split(separator: "data-rows=\"").dropFirst() {
                for number in mark.prefix(while: { $0 != "\"" }).split(separator: " ") {
                    if let index = Int(number) { drawn[scenario, default: []].insert(index) }
                }
            }
        }
        for (index, scenario) in scenarios.enumerated() where scenario != "soak" {
            #expect(drawn[scenario]?.contains(index) == true, "row \(index) (scenario \(scenario)) is in no plot of its scenario")
        }
    }
}
