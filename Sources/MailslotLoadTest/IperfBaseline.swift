import Glibc

/// iperf2 in the same lab, as a network engineer would run it instead: a UDP server on every
/// host, one client in the coordinator's namespace sending datagrams of the same size at the
/// same rate to all of them at once. Its per-host loss, beside the load test's, separates what
/// the network and kernels lose from what the mailslot path adds.
///
/// The datagrams go to a multicast group (``group``), not the broadcast address: iperf2 2.1's
/// client never sets `SO_BROADCAST`, so `iperf -c 10.139.255.255` fails with "udp connect
/// failed: Permission denied". On the lab's bridge a group reaches every host that joined it,
/// the same one-to-all fan-out.
public struct IperfBaseline: Sendable {
    /// One rate's result.
    public struct Step: Codable, Hashable, Sendable {
        /// Offered rate, datagrams per second.
        public var offeredRate: Int
        /// Per host: datagrams the server counted as lost and the total it expected.
        public var hosts: [Host]
        /// Whether every host's server reported.
        public var complete: Bool { hosts.allSatisfy { $0.total != nil } }
        /// The worst host's loss, percent (100 for a host without a report).
        public var worstLossPercent: Double { hosts.map(\.lossPercent).max() ?? 0 }
    }

    /// One host's iperf2 server report.
    public struct Host: Codable, Hashable, Sendable {
        /// The host's computer name in the lab (H1, …).
        public var host: String
        /// Lost and total datagrams, as iperf2 counts them (`nil` when it printed no report).
        public var lost: UInt64?
        /// The total the server expected.
        public var total: UInt64?
        /// Loss in percent (100 without a report).
        public var lossPercent: Double {
            guard let lost, let total, total > 0 else { return 100 }
            return Double(lost) * 100 / Double(total)
        }
    }

    /// The multicast group the servers join and the client sends to.
    public static let group = "239.1.3.9"

    /// Where iperf2 is (`nil`: not installed).
    public static let executable: String? = ["/usr/bin/iperf", "/usr/local/bin/iperf"].first { access($0, X_OK) == 0 }

    /// Runs iperf2 at each of `rates` for `duration` seconds with `payload`-byte datagrams.
    /// - Throws: ``LabError`` when iperf2 is missing or cannot start.
    public static func run(in lab: NamespaceLab, rates: [Int], duration: Double, payload: Int) throws(LabError) -> [Step] {
        guard let iperf = executable else { throw LabError("iperf2 is not installed (apt-get install iperf)") }
        let folder = "/tmp/mslt-iperf-\(getpid())"
        mkdir(folder, 0o700)
        defer {
            for index in lab.hosts.indices { unlink("\(folder)/h\(index).log") }
            rmdir(folder)
        }
        var steps: [Step] = []
        for rate in rates {
            var servers: [Subprocess] = []
            for (index, host) in lab.hosts.enumerated() {
                servers.append(try lab.spawn(
                    in: host, iperf, ["-s", "-u", "-B", group, "-l", "\(payload)"], outputPath: "\(folder)/h\(index).log"))
            }
            usleep(300_000)
            let bits = rate * payload * 8
            let client = try lab.spawn(
                in: lab.coordinator, iperf,
                ["-c", group, "-u", "-b", "\(bits)", "-l", "\(payload)", "-t", "\(duration)", "-T", "1"],
                outputPath: "/dev/null")
            client.wait(timeout: duration + 30)
            client.stop(grace: 1)
            usleep(500_000)  // the servers print their report when the client's last datagram comes
            Subprocess.stopAll(servers)
            let hosts = lab.hosts.indices.map { index in
                let report = parse(readText("\(folder)/h\(index).log"))
                return Host(host: "H\(index + 1)", lost: report?.lost, total: report?.total)
            }
            steps.append(Step(offeredRate: rate, hosts: hosts))
        }
        return steps
    }

    /// The last `lost/total` pair of an iperf2 UDP server's output, e.g.
    /// `[  1] 0.0000-5.0012 sec  2.02 MBytes  3.39 Mbits/sec   0.011 ms 12/5000 (0.24%)`.
    public static func parse(_ output: String) -> (lost: UInt64, total: UInt64)? {
        var found: (UInt64, UInt64)?
        for line in output.split(separator: "\n") where line.contains("%)") {
            let fields = line.split(separator: " ")
            for (index, field) in fields.enumerated() where field.hasSuffix("%)") {
                // "12/5000" or "12/" "5000" around the percentage.
                let before = fields[..<index].joined(separator: " ")
                guard let slash = before.lastIndex(of: "/") else { continue }
                let lost = before[..<slash].split(separator: " ").last.flatMap { UInt64($0) }
                let total = before[before.index(after: slash)...].split(separator: " ").first.flatMap { UInt64($0) }
                if let lost, let total { found = (lost, total) }
            }
        }
        return found
    }

    /// The comparison table: per offered rate, iperf2's worst-host and median loss and hosts
    /// without a report, beside the load test's worst-host loss at the same rate (`ours`).
    public static func comparison(_ steps: [Step], beside ours: [StepResult], payload: Int) -> [String] {
        var lines = [
            "",
            "iperf2 in the same lab (UDP to a multicast group every host joined, \(payload) B), beside mailslot loadtest at the same offered rate:",
            "offered/s  iperf2 worst-host loss%  iperf2 median loss%  iperf2 hosts without report  mailslot worst-host loss%",
        ]
        for step in steps {
            let losses = step.hosts.map(\.lossPercent).sorted()
            let median = losses.isEmpty ? 0 : losses[losses.count / 2]
            let mine = ours.last { $0.offeredRate == step.offeredRate }.map { ResultTable.format($0.worstLossPercent, 3) }
                ?? "(no step at this rate)"
            let missing = step.hosts.filter { $0.total == nil }.count
            lines.append(
                String(step.offeredRate).padding(to: 9, right: true) + "  "
                    + ResultTable.format(step.worstLossPercent, 3).padding(to: 23, right: true) + "  "
                    + ResultTable.format(median, 3).padding(to: 19, right: true) + "  "
                    + String(missing).padding(to: 27, right: true) + "  " + mine.padding(to: 24, right: true))
        }
        return lines
    }
}
