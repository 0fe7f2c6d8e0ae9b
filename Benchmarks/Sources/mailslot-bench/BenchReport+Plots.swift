import MailslotCharts

/// The report's plots, one or more per scenario; every mark names the rows it was drawn from.
extension BenchReport {
    /// a, b, f: one group per case, our bar then each baseline's, the ratio on the baseline's.
    func rateBars(_ scenario: String, title: String) -> BarChart {
        let rows = self.rows(scenario)
        let groups = Self.ordered(rows.map(\.caseLabel)).map { label in
            let caseRows = rows.filter { $0.caseLabel == label }
            let ours = caseRows[0]
            var bars = [BarChart.Bar(
                name: ours.transport, value: ours.delivered ?? 0, color: Self.color(ours.transport),
                text: "\(Self.rate(ours.delivered))/s", rows: caseRows.map(\.index))]
            for row in caseRows {
                bars.append(BarChart.Bar(
                    name: row.baseline, value: row.baselineDelivered ?? 0, color: Self.color(row.baseline),
                    text: "\(Self.rate(row.baselineDelivered))/s · \(Self.ratio(row.ratio))", rows: [row.index]))
            }
            return BarChart.Group(label: label, bars: bars)
        }
        return BarChart(title: title, valueLabel: "delivered (msg/s)", groups: groups)
    }

    /// b: delivered rate against the number of writers (1 from scenario a, 8 from b), per transport.
    func writerScaling() -> LineChart {
        let scaling = rows.filter { ($0.scenario == "a" || $0.scenario == "b") && $0.payload == 424 }
            .filter { ["424 B, 1 writer", "424 B, 1 writer, shared memory", "424 B, 8 writers", "424 B, 8 writers, shared memory"].contains($0.caseLabel) }
        var points = PointSets()
        for row in scaling {
            points.add(row.transport, x: Double(row.writers), y: row.delivered, row: row.index)
            points.add(row.baseline, x: Double(row.writers), y: row.baselineDelivered, row: row.index, baseline: true)
        }
        return LineChart(
            title: "b: scaling by writers (424 B, 1 mailslot)", xLabel: "writer processes", yLabel: "delivered (msg/s)",
            series: points.series(), yLogarithmic: true, xLogarithmic: false)
    }

    /// c: delivered rate against the number of mailslots the writers spread over.
    func mailslotScaling() -> LineChart {
        var points = PointSets()
        for row in rows("c") {
            points.add(row.transport, x: Double(row.mailslots), y: row.delivered, row: row.index)
            points.add(row.baseline, x: Double(row.mailslots), y: row.baselineDelivered, row: row.index, baseline: true)
        }
        return LineChart(
            title: "c: scaling by mailslots (424 B, 2 writers)", xLabel: "mailslots (C: as many sockets)", yLabel: "delivered (msg/s)",
            series: points.series(), xLogarithmic: true)
    }

    /// d: for one sweep (by socket, or through shared memory), delivered, loss and latency
    /// against the offered rate, with each of our transports' knee marked.
    func sweep(_ rows: [ReportRow], name: String) -> [LineChart] {
        var delivered = PointSets(), loss = PointSets(), latency = PointSets()
        var offered = PointSets()
        for row in rows {
            guard let x = row.target else { continue }
            offered.add("offered", x: x, y: x, row: row.index)
            delivered.add(row.transport, x: x, y: row.delivered, row: row.index)
            delivered.add(row.baseline, x: x, y: row.baselineDelivered, row: row.index, baseline: true)
            loss.add(row.transport, x: x, y: row.loss, row: row.index)
            loss.add(row.baseline, x: x, y: row.baselineLoss, row: row.index, baseline: true)
            latency.add("\(row.transport) p50", x: x, y: row.p50, row: row.index)
            latency.add("\(row.transport) p99", x: x, y: row.p99, row: row.index)
            latency.add("\(row.transport) p99.9", x: x, y: row.p999, row: row.index)
            latency.add("\(row.baseline) p99", x: x, y: row.baselineP99, row: row.index, baseline: true)
        }
        let knees = Self.ordered(rows.map(\.transport)).compactMap { transport in
            Self.knee(rows.filter { $0.transport == transport }).map { LineChart.Marker(x: $0, label: "knee \(transport) \(SVG.short($0))/s") }
        }
        let offeredLine = offered.series(dashed: true, color: "#999999")
        let lossSeries = loss.series()
        let lossTop = SVG.niceCeiling(max(1, lossSeries.flatMap { $0.points.map(\.y) }.max() ?? 1))
        return [
            LineChart(
                title: "d: delivered vs offered, \(name)", xLabel: "offered (msg/s)", yLabel: "delivered (msg/s)",
                series: offeredLine + delivered.series(), markers: knees, xLogarithmic: false),
            LineChart(
                title: "d: loss vs offered, \(name)", xLabel: "offered (msg/s)", yLabel: "loss (%)", series: lossSeries,
                markers: knees, yMaximum: lossTop, xLogarithmic: false),
            LineChart(
                title: "d: latency vs offered, \(name)", xLabel: "offered (msg/s)", yLabel: "latency (µs)",
                series: latency.series(), markers: knees, yLogarithmic: true, xLogarithmic: false),
        ]
    }

    /// The highest offered rate up to which a transport delivered what was offered (97 % or
    /// more, loss at most 0.1 %) at every step; `nil` when it never fell short (the knee lies
    /// above the sweep) or fell short from the first step.
    static func knee(_ rows: [ReportRow]) -> Double? {
        let steps = rows.compactMap { row in row.target.map { (target: $0, row: row) } }.sorted { $0.target < $1.target }
        var last: Double?
        for step in steps {
            let kept = (step.row.delivered ?? 0) >= 0.97 * step.target && (step.row.loss ?? 0) <= 0.1
            guard kept else { return last }
            last = step.target
        }
        return nil
    }

    /// e: bytes per idle mailslot (resident, and the kernel's slab) against the 2 KiB budget.
    func idleMemory() -> BarChart {
        let groups = rows("e").map { row in
            BarChart.Group(label: row.caseLabel, bars: [
                BarChart.Bar(
                    name: "resident bytes per mailslot", value: row.rssPerMailslot ?? 0, color: "#1f77b4",
                    text: "\(Table.fixed(row.rssPerMailslot, 0)) B · \(Self.ratio(row.ratio)) budget", rows: [row.index]),
                BarChart.Bar(
                    name: "kernel slab per mailslot", value: row.kernelSlabPerMailslot ?? 0, color: "#8c564b",
                    text: "\(Table.fixed(row.kernelSlabPerMailslot, 0)) B", rows: [row.index]),
            ])
        }
        return BarChart(
            title: "e: bytes per idle mailslot", valueLabel: "bytes per mailslot", groups: groups,
            references: [LineChart.Marker(x: 2048, label: "2 KiB budget")], logarithmic: false)
    }

    /// f: the receiving process's CPU per datagram, ours against each baseline (live rows).
    func receiverCPU() -> BarChart {
        let rows = self.rows("f").filter { $0.receiverCPU != nil }
        let groups = Self.ordered(rows.map(\.caseLabel)).map { label in
            let caseRows = rows.filter { $0.caseLabel == label }
            let ours = caseRows[0]
            var bars = [BarChart.Bar(
                name: ours.transport, value: ours.receiverCPU ?? 0, color: Self.color(ours.transport),
                text: "\(Table.fixed(ours.receiverCPU, 2)) µs", rows: caseRows.map(\.index))]
            for row in caseRows {
                let cost = row.baselineReceiverCPU
                let relative = cost.flatMap { theirs in row.receiverCPU.map { mine in mine > 0 ? theirs / mine : 0 } }
                bars.append(BarChart.Bar(
                    name: row.baseline, value: cost ?? 0, color: Self.color(row.baseline),
                    text: "\(Table.fixed(cost, 2)) µs · \(Self.ratio(relative)) ours", rows: [row.index]))
            }
            return BarChart.Group(label: label, bars: bars)
        }
        return BarChart(title: "f: receiver CPU per datagram", valueLabel: "CPU µs per delivered datagram", groups: groups, logarithmic: false)
    }

    /// g: each receiving host's deliveries, ours against the baseline on the same host.
    func perHost() -> BarChart {
        var groups: [BarChart.Group] = []
        for row in rows("g") {
            guard !row.hostRates.isEmpty else {
                // A run without per-host figures (skipped, or saved before they were kept).
                groups.append(BarChart.Group(label: row.caseLabel, bars: [
                    BarChart.Bar(
                        name: row.transport, value: row.delivered ?? 0, color: Self.color(row.transport),
                        text: row.delivered == nil ? (row.note ?? "not measured") : "\(Self.rate(row.delivered))/s (all hosts)", rows: [row.index]),
                ]))
                continue
            }
            for (host, rate) in row.hostRates.enumerated() {
                let theirs = host < row.baselineHostRates.count ? row.baselineHostRates[host] : nil
                groups.append(BarChart.Group(label: "host \(host + 1)", bars: [
                    BarChart.Bar(name: row.transport, value: rate, color: Self.color(row.transport), text: "\(Self.rate(rate))/s", rows: [row.index]),
                    BarChart.Bar(
                        name: row.baseline, value: theirs ?? 0, color: Self.color(row.baseline),
                        text: "\(Self.rate(theirs))/s · \(Self.ratio(theirs.map { $0 > 0 ? rate / $0 : 0 }))", rows: [row.index]),
                ]))
            }
        }
        return BarChart(title: "g: domain broadcast, deliveries per host", valueLabel: "delivered per host (msg/s)", groups: groups, logarithmic: false)
    }
}
