import Glibc
@testable import MailslotEngine
import MailslotTestSupport
import MailslotWire
import Testing

/// The datagram service and name resolution against hostile remote senders, over real UDP on
/// loopback: spoofed name answers, senders outside the allow-list, broadcasts for another
/// domain, relaying turned off, and a service bound to one address.
@Suite("Remote senders who lie", .timeLimit(.minutes(5)))
struct NetworkHardeningTests {
    func run(_ engine: MailslotEngine, until done: () -> Bool) { DatagramServiceTests.run(engine, until: done) }

    /// An engine running the datagram service on an ephemeral port with `settings` (file keys).
    func serviceEngine(_ settings: [(String, String)]) throws -> (MailslotEngine, UInt16) {
        let engine = try MailslotEngine()
        var configuration = DatagramServiceTests.network("RECEIVER", port: 0)
        for (key, value) in settings { try configuration.set(key, to: value) }
        try engine.startDatagramService(configuration)
        return (engine, try #require(engine.datagramPort))
    }

    /// Opens `\\VICTIM\mailslot\x` with name queries going to a hostile name service that
    /// answers as `modes` say; returns the error, or `nil` when the name resolved.
    func resolveThroughForger(_ modes: String) throws -> MailslotError? {
        let script = "/" + #filePath.split(separator: "/").dropLast().joined(separator: "/") + "/Interop/nbns_forger.py"
        let forger = try ChildProcess("/usr/bin/python3", [script, modes])
        defer {
            forger.kill(SIGKILL)
            _ = forger.waitForExit(timeout: 5)
        }
        let ready = try #require(forger.waitForStdoutLine(startingWith: "ready "))
        var network = DatagramServiceTests.network("SENDER", port: 41_997)
        network.nameServicePort = try #require(UInt16(ready.split(separator: " ")[1]))
        network.nameQueryAttempts = 2
        network.nameQueryMilliseconds = 300
        let name = try MailslotName("\\\\VICTIM\\mailslot\\x")
        do throws(MailslotError) {
            _ = try MailslotClient(name, network: network)
            return nil
        } catch {
            return error
        }
    }

    @Test("name answers with a wrong id, from another port, or naming another host are not believed")
    func forgedNameAnswers() throws {
        let error = try resolveThroughForger("wrong-id,elsewhere,other-port")
        #expect(error == .badNetPath("cannot resolve the computer name VICTIM"))
    }

    @Test("the name's owner answering for itself, among forged answers, is believed")
    func honestAnswerAmongForged() throws {
        #expect(try resolveThroughForger("wrong-id,elsewhere,other-port,honest") == nil)
    }

    @Test("a source allow-list: datagrams from elsewhere are dropped and counted as access-denied")
    func sourceAllowList() throws {
        for (allowed, delivered) in [("10.0.0.0/8", UInt64(0)), ("127.0.0.0/8", UInt64(1))] {
            let (engine, port) = try serviceEngine([("allow-from", "192.168.0.0/16, \(allowed)")])
            let path = uniqueMailslotPath("allow")
            let server = try engine.createMailslot(MailslotName(localPath: path))
            var got = 0
            try server.onMessage { _ in got += 1 }
            let hosts = DatagramServiceTests.hostsFile("127.0.0.1 RECEIVER\n")
            try MailslotClient(
                MailslotName("\\\\RECEIVER\\mailslot\\" + path),
                network: DatagramServiceTests.network("SENDER", port: port, hostsFile: hosts)
            ).write("from loopback")
            run(engine) { (engine.datagramStatistics?.received ?? 0) == 1 }
            #expect(UInt64(got) == delivered)
            #expect(engine.datagramStatistics?.drops.accessDenied == 1 - delivered)
        }
    }

    @Test("BROADCAST datagrams for another domain are dropped as wrong-destination; for ours or * they arrive")
    func broadcastsForOtherDomains() throws {
        let (engine, port) = try DatagramServiceTests.serviceEngine("RECEIVER")
        let path = "bcast\(getpid() % 100_000)"
        let server = try engine.createMailslot(MailslotName(localPath: path))
        var got: [String] = []
        try server.onMessage { got.append($0.utf8Text) }
        let raw = try system_socket(domain: AF_INET, type: Int32(SOCK_DGRAM.rawValue))
        defer { system_close(raw) }
        for (domain, text) in [("OTHERDOM", "other"), ("TESTDOM", "ours"), ("*", "everyone")] {
            let encoder = MailslotWriteEncoder(
                type: .broadcast, source: try NetBIOSName("SENDER", suffix: 0), destination: try NetBIOSName(domain, suffix: 0),
                mailslotName: "\\MAILSLOT\\" + path)
            let datagram = try encoder.encode(Array(text.utf8))
            _ = try datagram.withUnsafeBytes { try system_sendto(raw, $0, to: IPv4Endpoint(address: 0x7F00_0001, port: port)) }
        }
        run(engine) { (engine.datagramStatistics?.received ?? 0) == 3 && got.count == 2 }
        #expect(got == ["ours", "everyone"])
        #expect(engine.datagramStatistics?.drops.wrongDestination == 1)
    }

    @Test("relaying turned off: a remote message for another process's mailslot is counted as unknown, not handed on")
    func relayOptOut() throws {
        let (engine, port) = try serviceEngine([("relay", "no")])
        let owner = try MailslotEngine()
        let path = uniqueMailslotPath("norelay")
        let server = try owner.createMailslot(MailslotName(localPath: path), readTimeout: .immediate)
        let hosts = DatagramServiceTests.hostsFile("127.0.0.1 RECEIVER\n")
        try MailslotClient(
            MailslotName("\\\\RECEIVER\\mailslot\\" + path), network: DatagramServiceTests.network("SENDER", port: port, hostsFile: hosts)
        ).write("not for you")
        run(engine) { (engine.datagramStatistics?.received ?? 0) == 1 }
        #expect(engine.datagramStatistics?.drops.unknownMailslot == 1)
        #expect(engine.datagramStatistics?.relayed == 0)
        #expect(throws: MailslotError.timeout) { try server.readMessage() }
    }

    @Test("a service bound to one address takes datagrams sent to it, and none sent to another")
    func bindAddress() throws {
        let (engine, port) = try serviceEngine([("bind", "127.0.0.2")])
        let raw = try system_socket(domain: AF_INET, type: Int32(SOCK_DGRAM.rawValue))
        defer { system_close(raw) }
        let junk = [UInt8](repeating: 0x10, count: 40)
        _ = try junk.withUnsafeBytes { try system_sendto(raw, $0, to: IPv4Endpoint(address: 0x7F00_0001, port: port)) }
        _ = try junk.withUnsafeBytes { try system_sendto(raw, $0, to: IPv4Endpoint(address: 0x7F00_0002, port: port)) }
        run(engine) { (engine.datagramStatistics?.received ?? 0) >= 1 }
        for _ in 0..<10 { engine.runOnce(timeout: 0.01) }
        #expect(engine.datagramStatistics?.received == 1)
        #expect(engine.datagramStatistics?.drops.malformed == 1)
    }

    @Test("the example NETLOGON responder answers a flood from one source with a trickle, not 1:1")
    func responderRateLimit() throws {
        let port = UInt16(40_000 + Int(getpid()) % 20_000)
        let responderPath = MailslotBinary.path.replacingSuffix("mailslot", with: "mailslot-netlogon-responder")
        let responder = try ChildProcess(
            responderPath,
            ["--computer-name", "PDC", "--domain", "TESTDOM", "--udp-port", "\(port)", "--answers-per-second", "1", "--burst", "3"])
        defer { responder.kill(SIGKILL) }
        #expect(responder.waitForStdoutLine(startingWith: "ready netlogon") != nil)
        let raw = try system_socket(domain: AF_INET, type: Int32(SOCK_DGRAM.rawValue))
        defer { system_close(raw) }
        var query: [UInt8] = [0x07, 0x00] + Array("CLIENT".utf8) + [0] + Array("\\MAILSLOT\\TEMP\\NETLOGON".utf8) + [0]
        if query.count % 2 == 1 { query.append(0) }
        query += Array("CLIENT".utf16.flatMap { [UInt8(truncatingIfNeeded: $0), UInt8($0 >> 8)] }) + [0, 0, 1, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]
        let encoder = MailslotWriteEncoder(
            type: .directUnique, source: try NetBIOSName("CLIENT", suffix: 0), destination: try NetBIOSName("PDC", suffix: 0),
            mailslotName: "\\MAILSLOT\\NET\\NETLOGON")
        let datagram = try encoder.encode(query)
        for _ in 0..<40 {
            _ = try datagram.withUnsafeBytes { try system_sendto(raw, $0, to: IPv4Endpoint(address: 0x7F00_0001, port: port)) }
        }
        var answers = 0
        var buffer = [UInt8](repeating: 0, count: 2048)
        let deadline = system_monotonicSeconds() + 1.5
        while system_monotonicSeconds() < deadline {
            guard (try? system_poll(raw, events: Int16(POLLIN), timeoutMilliseconds: 100)) == true else { continue }
            if case .processed? = buffer.withUnsafeMutableBytes({ try? system_recvfrom(raw, $0) }) { answers += 1 }
        }
        responder.kill(SIGTERM)
        #expect(responder.waitForExit(timeout: 10) == 0)
        let summary = responder.standardOutput.split(separator: "\n").first { $0.hasPrefix("summary:") }
        #expect(answers >= 3 && answers <= 5, "\(responder.standardOutput)")
        #expect(summary == "summary: answered \(answers), rate-limited \(40 - answers)")
    }

}

extension String {
    /// The string with its last occurrence of `suffix` replaced (for sibling binaries' paths).
    func replacingSuffix(_ suffix: String, with replacement: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) + replacement : self
    }
}
