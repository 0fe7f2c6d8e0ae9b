import Glibc
@testable import MailslotEngine
import MailslotTestSupport
import Testing

/// Loss on the network side is counted: the kernel's drops for the datagram service's socket
/// (`SO_RXQ_OVFL`) appear in statistics and summaries, and origins stay bounded by the queue.
@Suite("Network loss is counted", .serialized, .timeLimit(.minutes(5)))
struct NetworkLossTests {
    @Test("a stalled datagram service: every datagram sent is delivered or counted as a kernel drop, exactly")
    func stalledServiceCountsKernelDrops() throws {
        var network = DatagramServiceTests.network("RECEIVER", port: 0)
        network.receiveBufferBytes = 16 << 10
        let engine = try MailslotEngine()
        try engine.startDatagramService(network)
        let port = try #require(engine.datagramPort)
        let path = uniqueMailslotPath("stalled")
        let server = try engine.createMailslot(MailslotName(localPath: path), readTimeout: .immediate)
        let hosts = DatagramServiceTests.hostsFile("127.0.0.1 RECEIVER\n")
        let client = try MailslotClient(
            MailslotName("\\\\RECEIVER\\mailslot\\" + path), network: DatagramServiceTests.network("SENDER", port: port, hostsFile: hosts))
        var sent = 0
        for index in 0..<3000 {  // the engine's loop is not running: the socket buffer overflows
            if (try? client.write("datagram \(index) " + String(repeating: "x", count: 300))) != nil { sent += 1 }
            if index % 100 == 99 { usleep(1000) }  // paced below loopback's backlog limit
        }
        var read = 0
        for _ in 0..<200 {
            engine.runOnce(timeout: 0.01)
            while (try? server.readMessage()) != nil { read += 1 }
            // Origins of remote messages never outnumber the messages queued.
            if let record = try? engine.record(server.handle) { #expect(record.origins.count <= record.ring.messageCount) }
        }
        let statistics = try #require(engine.datagramStatistics)
        #expect(statistics.drops.kernelBufferFull > 0)
        #expect(UInt64(read) + statistics.drops.kernelBufferFull == UInt64(sent), "read \(read), kernel drops \(statistics.drops.kernelBufferFull), sent \(sent)")
        #expect(statistics.delivered == UInt64(read))
    }

    @Test("serve --udp-port: a stopped server's kernel drops show in its summary, and the sum is exact")
    func serveSummaryShowsKernelDrops() throws {
        let port = UInt16(20_000 + Int(getpid() % 20_000))
        let path = uniqueMailslotPath("stopped")
        let server = try ChildProcess(
            MailslotBinary.path,
            ["serve", path, "--udp-port", String(port), "--computer-name", "RECEIVER", "--domain", "TESTDOM", "--format", "hex"])
        #expect(server.waitForStderrLine(startingWith: "ready ") != nil)
        server.kill(SIGSTOP)
        let hosts = DatagramServiceTests.hostsFile("127.0.0.1 RECEIVER\n")
        let client = try MailslotClient(
            MailslotName("\\\\RECEIVER\\mailslot\\" + path), network: DatagramServiceTests.network("SENDER", port: port, hostsFile: hosts))
        var sent = 0
        let payload = [UInt8](repeating: 0x42, count: 400)
        // Paced, so loopback's own backlog (net.core.netdev_max_backlog, a loss of the "wire",
        // not of the receiving socket) never overflows: every drop is then the socket's.
        for index in 0..<30_000 {
            if (try? client.write(payload)) != nil { sent += 1 } else { usleep(200) }
            if index % 100 == 99 { usleep(1000) }
        }
        // Stopped at once after it resumes: what its socket still holds is counted as unread.
        server.kill(SIGCONT)
        server.kill(SIGTERM)
        #expect(server.waitForExit(timeout: 30) == 0)
        let received = server.standardOutput.split(separator: "\n").count
        let summary = server.standardError
        let drops = Self.number(after: "kernel-buffer-full ", in: summary)
        let unread = Self.number(after: "closed-unread ", in: summary)
        #expect(drops > 0, "\(summary)")
        #expect(received + drops + unread == sent, "received \(received) + kernel drops \(drops) + unread \(unread) vs sent \(sent): \(summary.suffix(600))")
    }

    /// The sum of the numbers after every `label` in `text` (a summary names a cause once per
    /// counter set: the mailslot's and the datagram service's).
    static func number(after label: String, in text: String) -> Int {
        text.ranges(of: label).reduce(0) { sum, range in sum + (Int(text[range.upperBound...].prefix { $0.isNumber }) ?? 0) }
    }
}

@Suite("The service's outbox", .timeLimit(.minutes(5)))
struct OutboxTests {
    @Test("the outbox forwards only mailslot writes: junk from a local user is refused and counted; a real write leaves from the service's port")
    func outboxRefusesJunk() throws {
        let (engine, port) = try DatagramServiceTests.serviceEngine("RECEIVER")
        let path = uniqueMailslotPath("outbox")
        let server = try engine.createMailslot(MailslotName(localPath: path))
        var origins: [MessageOrigin?] = []
        try server.onMessageWithOrigin { _, origin in origins.append(origin) }
        // A hostile local user writes straight into the outbox: too short, and not MS-MAIL.
        let fd = try #require(Outbox.connect(port: port))
        defer { system_close(fd) }
        var junk = [UInt8](repeating: 0x10, count: 60)
        junk.withUnsafeMutableBytes { Outbox.writePrefix(IPv4Endpoint(address: 0x7F00_0001, port: port), into: $0.baseAddress!) }
        _ = try [UInt8]([1, 2, 3]).withUnsafeBytes { try system_send(fd, $0) }
        _ = try junk.withUnsafeBytes { try system_send(fd, $0) }
        // A real writer of this host goes through the outbox too.
        var network = DatagramServiceTests.network("SENDER", port: port, hostsFile: DatagramServiceTests.hostsFile("127.0.0.1 RECEIVER\n"))
        network.sendsThroughService = true
        let client = try MailslotClient(MailslotName("\\\\RECEIVER\\mailslot\\" + path), network: network)
        try client.write("through the outbox")
        for _ in 0..<200 where origins.isEmpty { engine.runOnce(timeout: 0.01) }
        let statistics = try #require(engine.datagramStatistics)
        #expect(statistics.forwardRefused == 2)
        #expect(statistics.forwarded == 1)
        #expect(statistics.drops.malformed == 0)  // the junk never reached the wire
        #expect(origins.count == 1)
        #expect(origins.first??.port == port, "it left from the service's own port")
        #expect(origins.first??.sourceName == "SENDER<00>")
    }
}
