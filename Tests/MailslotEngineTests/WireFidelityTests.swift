import Glibc
import MailslotTestSupport
import Testing

/// What goes on the wire, checked in captures by tshark and by Samba's NDR parser: SOURCE_IP of
/// unique and group datagrams, the source port (138 through the host's service, else the
/// writer's own port, and SOURCE_PORT agreeing), and NBNS retries as Windows sends them.
@Suite(
    "Wire fidelity in captures", .serialized,
    .enabled(if: NetworkLab.unavailableReason == nil, "\(NetworkLab.unavailableReason ?? "")"),
    .enabled(if: access("/usr/bin/tshark", X_OK) == 0, "tshark is not installed (scripts/setup-peers.sh installs it)"), .timeLimit(.minutes(10)))
struct WireFidelityTests {
    let binary = MailslotBinary.path
    static let ndrParser = "/" + #filePath.split(separator: "/").dropLast().joined(separator: "/") + "/Interop/ndr_parse.py"
    static let samba = access("/usr/lib/python3/dist-packages/samba", F_OK) == 0

    /// Captures on host 1's eth0 while `body` runs, then returns the rows of `fields`.
    func capture(_ lab: NetworkLab, filter: String, fields: [String], _ body: () throws -> Void) throws -> [[String]] {
        let file = "/tmp/mailslot-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).pcap"
        defer { unlink(file) }
        // tshark says "Capturing on" a little before the capture is live, so a marker datagram to
        // the discard port is sent until tshark shows it: only then does `body` run.
        let tshark = try lab.spawn(1, "/usr/bin/tshark", [
            "-i", "eth0", "-f", "(\(filter)) or udp dst port 9", "-w", file, "-a", "duration:30",
            "-P", "-l", "-T", "fields", "-e", "udp.dstport",
        ])
        #expect(tshark.waitForStderrLine(startingWith: "Capturing on", timeout: 20) != nil)
        var live = false
        for _ in 0..<100 where !live {
            _ = try lab.run(0, "/bin/bash", ["-c", "echo marker > /dev/udp/\(lab.address(1))/9"])
            live = tshark.waitForStdoutLine(startingWith: "9", timeout: 0.2) != nil
        }
        #expect(live, "tshark never saw the marker datagram")
        try body()
        usleep(300_000)
        tshark.kill(SIGINT)
        _ = tshark.waitForExit(timeout: 10)
        let decoded = try ChildProcess("/usr/bin/tshark", ["-r", file, "-Y", "not udp.dstport == 9", "-T", "fields", "-E", "separator=|"] + fields.flatMap { ["-e", $0] })
        _ = decoded.waitForExit(timeout: 30)
        return decoded.standardOutput.split(separator: "\n").map { $0.split(separator: "|", omittingEmptySubsequences: false).map(String.init) }
    }

    /// Samba's NDR parse of each datagram (hex).
    func ndr(_ payloads: [String]) throws -> [String] {
        let result = try ChildProcess("/usr/bin/python3", [Self.ndrParser] + payloads)
        _ = result.waitForExit(timeout: 30)
        #expect(result.standardError.isEmpty, "\(result.standardError)")
        return result.standardOutput.split(separator: "\n").map(String.init)
    }

    static let fields = ["nbdgm.type", "ip.src", "udp.srcport", "nbdgm.src.ip", "nbdgm.src.port", "udp.payload"]

    @Test("without a datagram service: unique and group datagrams carry the interface address and the writer's own port")
    func sourceWithoutService() throws {
        let lab = try NetworkLab(hosts: 2, label: "w")
        let hosts = temporaryFile("lmhosts", "\(lab.address(1)) H2\n")
        let common = ["--computer-name", "H1", "--domain", "TESTDOM", "--broadcast", NetworkLab.broadcast, "--hosts-file", hosts]
        let rows = try capture(lab, filter: "udp port 138", fields: Self.fields) {
            let code = try lab.run(0, binary, ["write", "\\\\H2\\mailslot\\TEST", "unique"] + common).code
            #expect(code == 0)
            let groupCode = try lab.run(0, binary, ["write", "\\\\*\\mailslot\\TEST", "group"] + common).code
            #expect(groupCode == 0)
        }
        #expect(rows.map { $0.first ?? "" } == ["16", "17"], "\(rows)")
        for row in rows where row.count == Self.fields.count {
            #expect(row[1] == lab.address(0))
            #expect(row[3] == lab.address(0), "SOURCE_IP of a type \(row[0]) datagram")
            #expect(row[4] == row[2], "SOURCE_PORT is the port it left from")
            #expect(row[2] != "138")
        }
        if Self.samba {
            let parsed = try ndr(rows.compactMap { $0.last })
            #expect(parsed.count == 2)
            #expect(parsed.first?.hasPrefix("0x10 \(lab.address(0)) ") == true, "\(parsed)")
            #expect(parsed.last?.hasPrefix("0x11 \(lab.address(0)) ") == true, "\(parsed)")
            #expect(parsed.last?.hasSuffix("H1<00> TESTDOM<00> \\MAILSLOT\\TEST 67726f7570") == true, "\(parsed)")
        }
    }

    @Test("with this host's service on 138: writers' datagrams leave from port 138 with SOURCE_PORT 138")
    func sourcePortThroughService() throws {
        let lab = try NetworkLab(hosts: 2, label: "p")
        let hosts = temporaryFile("lmhosts", "\(lab.address(1)) H2\n")
        let common = ["--computer-name", "H1", "--domain", "TESTDOM", "--broadcast", NetworkLab.broadcast, "--hosts-file", hosts]
        let relay = try lab.spawn(0, binary, ["relay"] + common)
        #expect(relay.waitForStderrLine(startingWith: "ready relay") != nil)
        let rows = try capture(lab, filter: "udp port 138", fields: Self.fields) {
            let code = try lab.run(0, binary, ["write", "\\\\H2\\mailslot\\TEST", "unique"] + common).code
            #expect(code == 0)
            let groupCode = try lab.run(0, binary, ["write", "\\\\TESTDOM\\mailslot\\TEST", "group"] + common).code
            #expect(groupCode == 0)
        }
        relay.kill(SIGTERM)
        #expect(relay.waitForExit() == 0)
        #expect(relay.standardError.contains("outbox: 2 sent from this port"), "\(relay.standardError)")
        #expect(rows.map { $0.first ?? "" } == ["16", "17"], "\(rows)")
        for row in rows where row.count == Self.fields.count {
            #expect(row[2] == "138")
            #expect(row[4] == "138")
            #expect(row[3] == lab.address(0))
        }
        if Self.samba {
            let parsed = try ndr(rows.compactMap { $0.last })
            #expect(parsed.allSatisfy { $0.contains(" \(lab.address(0)) 138 H1<00> ") }, "\(parsed)")
        }
    }

    @Test("an unanswered name is queried 3 times, 750 ms apart, with one transaction id; then bad-netpath")
    func nameQueryRetries() throws {
        let lab = try NetworkLab(hosts: 2, label: "q")
        let common = ["--computer-name", "H1", "--domain", "TESTDOM", "--broadcast", NetworkLab.broadcast]
        var result: (code: Int32?, stdout: String, stderr: String) = (nil, "", "")
        let rows = try capture(lab, filter: "udp port 137", fields: ["frame.time_relative", "nbns.id", "nbns.flags.opcode", "nbns.name"]) {
            result = try lab.run(0, binary, ["write", "\\\\NOSUCHHOST\\mailslot\\TEST", "hello"] + common)
        }
        #expect(result.code == 1)
        #expect(result.stderr.contains("ERROR_BAD_NETPATH"))
        #expect(rows.count == 3, "\(rows)")
        guard rows.count == 3 else { return }
        #expect(Set(rows.map { $0[1] }).count == 1, "one transaction id")
        #expect(rows.allSatisfy { $0[3].hasPrefix("NOSUCHHOST<00>") })
        let times = rows.compactMap { Double($0[0]) }
        for (earlier, later) in zip(times, times.dropFirst()) {
            #expect(abs(later - earlier - 0.75) < 0.25, "queries \(later - earlier) s apart")
        }
    }
}
