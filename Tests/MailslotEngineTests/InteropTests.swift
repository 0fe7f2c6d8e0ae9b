import Glibc
import MailslotTestSupport
import Testing

/// Real third-party peers: tshark decodes what we send; scapy builds what we receive.
@Suite(
    "Interop with tshark and scapy", .serialized,
    .enabled(if: NetworkLab.unavailableReason == nil, "\(NetworkLab.unavailableReason ?? "")"), .timeLimit(.minutes(10)))
struct InteropTests {
    let binary = MailslotBinary.path
    static let tshark = access("/usr/bin/tshark", X_OK) == 0
    static let scapy = access("/usr/lib/python3/dist-packages/scapy", F_OK) == 0

    func hex(_ text: String) -> String {
        Array(text.utf8).map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }

    @Test(
        "tshark decodes our unique and group datagrams with the expected nbdgm, smb and mailslot fields, and DGM_LENGTH is right",
        .enabled(if: tshark, "tshark is not installed (scripts/setup-peers.sh installs it)"))
    func tsharkDecodesOurDatagrams() throws {
        let lab = try NetworkLab(hosts: 2, label: "t")
        let capture = "/tmp/mailslot-test-\(getpid())-ours.pcap"
        defer { unlink(capture) }
        let tshark = try lab.spawn(1, "/usr/bin/tshark", ["-i", "eth0", "-f", "udp port 138", "-w", capture, "-a", "duration:30"])
        #expect(tshark.waitForStderrLine(startingWith: "Capturing on", timeout: 20) != nil)
        let hosts = temporaryFile("lmhosts", "\(lab.address(1)) H2\n")
        let common = ["--computer-name", "H1", "--domain", "TESTDOM", "--broadcast", NetworkLab.broadcast, "--hosts-file", hosts]
        #expect(try lab.run(0, binary, ["write", "\\\\H2\\mailslot\\TEST", "hello", "--hex"] + common).code == 1)  // "hello" is not hex
        #expect(try lab.run(0, binary, ["write", "\\\\H2\\mailslot\\TEST", "hello unique"] + common).code == 0)
        #expect(try lab.run(0, binary, ["write", "\\\\*\\mailslot\\TEST", "hello group"] + common).code == 0)
        usleep(300_000)
        tshark.kill(SIGINT)
        _ = tshark.waitForExit(timeout: 10)
        let fields = [
            "nbdgm.type", "nbdgm.source_name", "nbdgm.destination_name", "nbdgm.dgram_len", "udp.length", "smb.cmd",
            "smb.wct", "smb.tdc", "smb.dc", "smb.data_offset", "mailslot.opcode", "mailslot.priority", "mailslot.class",
            "mailslot.name", "data.data", "_ws.malformed",
        ]
        let decoded = try ChildProcess(
            "/usr/bin/tshark", ["-r", capture, "-T", "fields", "-E", "separator=|"] + fields.flatMap { ["-e", $0] })
        _ = decoded.waitForExit(timeout: 30)
        let rows = decoded.standardOutput.split(separator: "\n").map { $0.split(separator: "|", omittingEmptySubsequences: false).map(String.init) }
        #expect(rows.count == 2, "\(decoded.standardOutput)")
        guard rows.count == 2 else { return }
        for (row, expected) in zip(rows, [("16", "H2<00>", "hello unique"), ("17", "TESTDOM<00>", "hello group")]) {
            let field = { (name: String) in row[fields.firstIndex(of: name)!] }
            #expect(field("nbdgm.type") == expected.0)
            #expect(field("nbdgm.source_name") == "H1<00>")
            #expect(field("nbdgm.destination_name") == expected.1)
            #expect(Int(field("nbdgm.dgram_len")) == Int(field("udp.length"))! - 8 - 14)  // tshark does not check it
            #expect(field("smb.cmd") == "0x25")
            #expect(field("smb.wct") == "17")
            #expect(field("smb.tdc") == "\(expected.2.utf8.count)")
            #expect(field("smb.dc") == "\(expected.2.utf8.count)")
            #expect(field("smb.data_offset") == "\(70 + "\\MAILSLOT\\TEST".count)")
            #expect(field("mailslot.opcode") == "1")
            #expect(field("mailslot.priority") == "1")
            #expect(field("mailslot.class") == "2")
            #expect(field("mailslot.name") == "\\MAILSLOT\\TEST")
            #expect(field("data.data") == hex(expected.2))
            #expect(field("_ws.malformed").isEmpty)
        }
    }

    @Test(
        "datagrams scapy builds (unique, group, BROWSE, smbtorture-style flags) reach the mailslot byte-exactly",
        .enabled(if: scapy, "scapy is not installed (scripts/setup-peers.sh installs python3-scapy)"))
    func scapyDatagramsReachTheMailslot() throws {
        let lab = try NetworkLab(hosts: 2, label: "s")
        let common = ["--udp-port", "138", "--computer-name", "H2", "--domain", "TESTDOM"]
        // Each server exits after the messages it expects: scapy's import alone can take seconds
        // on a loaded machine, longer than any short read timeout. The long timeout bounds a failure.
        let test = try lab.spawn(1, binary, ["serve", "TEST", "--format", "json", "--count", "3", "--timeout", "30000"] + common)
        #expect(test.waitForStderrLine(startingWith: "ready") != nil)
        // serve TEST owns the port; serve BROWSE is a second process, reached through the local transport.
        let browse = try lab.spawn(1, binary, ["serve", "BROWSE", "--format", "hex", "--count", "1", "--timeout", "30000"])
        #expect(browse.waitForStderrLine(startingWith: "ready") != nil)
        let script = "/" + #filePath.split(separator: "/").dropLast().joined(separator: "/") + "/Interop/scapy_send.py"
        // The misaddressed datagram goes first, so its drop is counted before the third message ends serve.
        let cases = [
            "16:2:0:PYHOST:ELSEWHERE:00:\\MAILSLOT\\TEST:6e6f7420666f72207573",
            "16:2:0:PYHOST:H2:00:\\MAILSLOT\\TEST:68656c6c6f",
            "17:10:0:PYHOST:TESTDOM:00:\\MAILSLOT\\TEST:00ff0102",
            "17:2:1000:PYHOST:TESTDOM:1d:\\MAILSLOT\\BROWSE:0100" + String(repeating: "ab", count: 48),
            "16:14:1000:TORTURE_TEST:H2:00:\\mailslot\\test:" + String(repeating: "7a", count: 424),
        ]
        let sent = try lab.run(0, "/usr/bin/python3", [script, lab.address(1), "138", lab.address(0)] + cases)
        #expect(sent.code == 0, "\(sent.stderr)")
        _ = test.waitForExit(timeout: 40)
        _ = browse.waitForExit(timeout: 40)
        let lines = test.standardOutput.split(separator: "\n")
        #expect(lines.count == 3, "\(test.standardOutput)")
        #expect(lines.first?.contains("\"hex\":\"68656c6c6f\",\"from\":{\"address\":\"10.138.0.1:") == true)
        #expect(lines.first?.contains("\"name\":\"PYHOST<00>\",\"to\":\"H2<00>\",\"kind\":\"unique\"") == true)
        #expect(lines.dropFirst().first?.contains("\"hex\":\"00ff0102\"") == true)
        #expect(lines.last?.contains("\"hex\":\"" + String(repeating: "7a", count: 424) + "\"") == true)
        #expect(browse.standardOutput == "0100" + String(repeating: "ab", count: 48) + "\n")
        #expect(test.standardError.contains("wrong-destination 1"), "\(test.standardError)")
    }
}
