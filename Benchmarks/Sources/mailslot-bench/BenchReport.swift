import MailslotCharts

/// `--report FILE.html`: the run as one self-contained, printable page (XHTML with inline SVG,
/// no script, no fetch). At the top, the headline targets marked met or not and the machine's
/// facts; then the plots, one or more per scenario; then the comparison with a saved run
/// (`--compare`), and every row.
///
/// It is drawn from the rows as the JSON has them (``ReportRow``), so `--from run.json --report`
/// redraws a saved run. Every bar and point names the rows it stands for (`data-rows`) and every
/// figure its scenario (`data-scenario`): the tests check that no row goes undrawn.
struct BenchReport {
    let rows: [ReportRow]
    var comparison: Comparison?

    /// The page.
    func render() -> String {
        let first = rows.first
        let version = [first?.version, first?.commit.map { "commit \($0)" }].compactMap { $0 }.joined(separator: ", ")
        var body = """
            <h1>mailslot-bench report</h1>
            <p>mailslot \(SVG.escape(version.isEmpty ? "(version not recorded)" : version)); profile \(SVG.escape(first?.profile ?? "not recorded")).<br/>
            Machine: \(SVG.escape(first?.machine ?? "not recorded")).<br/>
            Every figure is a same-run ratio: ours ÷ a baseline measured in the same run, repetitions interleaved.</p>
            <h2>Targets</h2>
            \(summary())
            <h2>Plots</h2>
            <div class="plots">

            """
        for (scenario, chart, caption) in plots() {
            body += "<figure data-scenario=\"\(scenario)\">\(chart)<figcaption>\(SVG.escape(caption))</figcaption></figure>\n"
        }
        body += "</div>\n"
        if let comparison { body += "<h2>Against the saved run</h2>\n" + Self.table(comparison) }
        body += "<h2>Every row</h2>\n" + table()
        return ReportPage.render(title: "mailslot-bench report", body: body)
    }

    /// The targets of ``Target/all``: measured figure, goal, met or not (or not measured).
    func summary() -> String {
        var html = "<table>\n<tr><th class=\"text\">headline</th><th>measured</th><th>target</th><th class=\"text\">met</th></tr>\n"
        for target in Target.all {
            let found = target.figure(in: rows)
            let verdict = found.map { target.meets($0.value) ? "<span class=\"met\">met</span>" : "<span class=\"missed\">not met</span>" } ?? "not measured"
            let measured = found.map { Self.ratio($0.value) } ?? "–"
            html += "<tr><td class=\"text\">\(SVG.escape(target.name))</td><td>\(measured)</td><td>\(SVG.escape(target.goal))</td><td class=\"text\">\(verdict)</td></tr>\n"
        }
        return html + "</table>\n"
    }

    /// Each scenario the rows hold, as (scenario, SVG, caption), in scenario order.
    func plots() -> [(String, String, String)] {
        var plots: [(String, String, String)] = []
        let present = Set(rows.map(\.scenario))
        if present.contains("a") {
            plots.append(("a", rateBars("a", title: "a: 1 writer → 1 mailslot").svg(),
                "Each case: our transport first, then each baseline of the same run; a baseline's bar carries ours ÷ it."))
        }
        if present.contains("b") {
            plots.append(("b", rateBars("b", title: "b: 8 writers → 1 mailslot").svg(), "As a, with 8 writer processes."))
            plots.append(("b", writerScaling().svg(), "Delivered rate at 1 writer (scenario a) and 8 (scenario b), per transport."))
        }
        if present.contains("c") {
            plots.append(("c", mailslotScaling().svg(), "2 writers spread over 1 to 10,000 mailslots of one engine; the C baseline over as many sockets on one epoll."))
        }
        if present.contains("d") {
            let bySocket = rows("d").filter { !$0.transport.hasPrefix("mailslot-shm") }
            let shared = rows("d").filter { $0.transport.hasPrefix("mailslot-shm") }
            for (sweep, name) in [(bySocket, "by socket"), (shared, "shared memory")] where !sweep.isEmpty {
                for chart in self.sweep(sweep, name: name) {
                    plots.append(("d", chart.svg(), "Offered rate as a fraction of the measured maximum. The knee: the highest offered rate delivered in full (≥ 97 %, ≤ 0.1 % loss) at every step up to it; none drawn when nothing fell short."))
                }
            }
        }
        if present.contains("e") {
            plots.append(("e", idleMemory().svg(), "Resident memory per idle mailslot (each count in a fresh process) and kernel slab, against the 2 KiB budget."))
        }
        if present.contains("f") {
            plots.append(("f", rateBars("f", title: "f: UDP ingest of MS-MAIL datagrams, live and drain").svg(),
                "Live: a sendmmsg blaster sets the pace. Drain: the receiver empties a backlog as fast as it can (its capacity). c-msmail does our work in C; c-recvmmsg is the bare limit."))
            plots.append(("f", receiverCPU().svg(), "CPU the receiving process spent per delivered datagram (lower is better); a baseline's bar carries its cost ÷ ours."))
        }
        if present.contains("g") {
            plots.append(("g", perHost().svg(), "A domain broadcast from one host to receivers in network namespaces; each host's delivered rate, ours and C recvmmsg's."))
        }
        return plots
    }

    /// Every row, as the terminal's table has it, in short.
    func table() -> String {
        var html = "<table class=\"rows\">\n<tr><th>sc.</th><th class=\"text\">case</th><th class=\"text\">ours</th><th class=\"text\">baseline</th><th>ours/s</th><th>theirs/s</th><th>ratio</th><th>loss %</th><th>p99 µs</th><th class=\"text\">note</th></tr>\n"
        for row in rows {
            html += "<tr><td>\(SVG.escape(row.scenario))</td><td class=\"text\">\(SVG.escape(row.caseLabel))</td><td class=\"text\">\(SVG.escape(row.transport))</td>"
            html += "<td class=\"text\">\(SVG.escape(row.baseline))</td><td>\(Self.rate(row.delivered))</td><td>\(Self.rate(row.baselineDelivered))</td>"
            html += "<td>\(Self.ratio(row.ratio))</td><td>\(Table.fixed(row.loss, 3))</td><td>\(Table.fixed(row.p99, 1))</td><td class=\"text note\">\(SVG.escape(row.note ?? ""))</td></tr>\n"
        }
        return html + "</table>\n"
    }

    /// `--compare`'s changes, significant ones marked.
    static func table(_ comparison: Comparison) -> String {
        var html = "<p>Change = new ratio ÷ old ratio (machine noise cancels); marked where it exceeds the spread of both runs' repetitions (3 or more each).</p>\n"
        html += "<table>\n<tr><th class=\"text\">row</th><th>old</th><th>new</th><th>change</th><th>spread</th><th class=\"text\">verdict</th></tr>\n"
        for change in comparison.changes {
            let verdict = change.significant ? (change.change < 1 ? "<span class=\"missed\">slower</span>" : "<span class=\"met\">faster</span>") : "within noise"
            html += "<tr><td class=\"text\">\(SVG.escape(change.key))</td><td>\(Table.fixed(change.old, 2))</td><td>\(Table.fixed(change.new, 2))</td>"
            html += "<td>\(Table.fixed(change.change, 3))×</td><td>\(change.spread.map { Table.fixed($0 * 100, 1) + "%" } ?? "n/a")</td><td class=\"text\">\(verdict)</td></tr>\n"
        }
        return html + "</table>\n"
    }

    func rows(_ scenario: String) -> [ReportRow] { rows.filter { $0.scenario == scenario } }

    /// `1.25M`, or `–` when not measured.
    static func rate(_ value: Double?) -> String { value.map(SVG.short) ?? "–" }

    /// `0.74×`, or `–`.
    static func ratio(_ value: Double?) -> String { value.map { Table.fixed($0, 2) + "×" } ?? "–" }

    /// Each value once, in order of first appearance.
    static func ordered(_ values: [String]) -> [String] {
        var seen: Set<String> = []
        return values.filter { seen.insert($0).inserted }
    }

    /// One colour per transport, the same in every plot: ours in blues and greens, the C
    /// baselines in reds and browns, the others in greys and purples.
    static func color(_ name: String) -> String {
        let known = [
            "mailslot": "#1f77b4", "mailslot-shm": "#2ca02c", "mailslot-shm-spin": "#17becf", "mailslot-udp": "#1f77b4",
            "mailslot-acl": "#aec7e8", "mailslot-stream": "#98df8a", "mailslot-read": "#6baed6", "c-win32": "#9467bd",
            "c-native": "#c5b0d5", "c-af-unix": "#d62728", "posix-mq": "#ff7f0e", "c-shm-mpsc": "#8c564b", "c-shm-ring": "#e377c2",
            "c-msmail": "#8c564b", "c-recvmmsg": "#d62728", "swift-nio": "#ff7f0e", "offered": "#999999",
        ]
        if let color = known[name] { return color }
        // Latency lines: the transport's colour, lighter for the lower percentiles.
        let parts = name.split(separator: " ")
        if parts.count == 2, let base = known[String(parts[0])] {
            return parts[1] == "p50" ? base + "80" : parts[1] == "p99" ? base + "c0" : base
        }
        let palette = ["#7f7f7f", "#bcbd22", "#9edae5", "#c49c94", "#f7b6d2"]
        return palette[Int(name.unicodeScalars.reduce(0) { ($0 &* 31 &+ Int($1.value)) & 0xffff }) % palette.count]
    }
}
