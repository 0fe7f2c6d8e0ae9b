import Glibc
@testable import MailslotEngine
import MailslotTestSupport
import MailslotWire
import Testing

/// Messages from other computers go straight from the datagram service's receive buffer to a
/// mailslot's callback when nothing is queued before them. These tests hold that shortcut to
/// the rules queued delivery keeps: every message once, in order, and counters that add up,
/// even when a callback runs the loop or stops the service in the middle of a batch.
@Suite("Remote messages straight to callbacks", .timeLimit(.minutes(5)))
struct RemoteDeliveryTests {
    /// Sends `rounds` batches of `perBatch` messages to each mailslot in turn (`a0`, `a1`… for
    /// the first path), all before the loop runs: they wait in the socket and arrive in
    /// batches that mix the mailslots.
    func send(to paths: [String], rounds: Int, perBatch: Int, port: UInt16) throws {
        let hosts = DatagramServiceTests.hostsFile("127.0.0.1 RECEIVER\n")
        let network = DatagramServiceTests.network("SENDER", port: port, hostsFile: hosts)
        let clients = try paths.map { try MailslotClient(MailslotName("\\\\RECEIVER\\mailslot\\" + $0), network: network) }
        let batch = MailslotWriteBatch(capacity: perBatch, maxMessageSize: 64)
        for round in 0..<rounds {
            for (which, client) in clients.enumerated() {
                for index in 0..<perBatch {
                    let text = "\(which == 0 ? "a" : "b")\(round * perBatch + index)"
                    _ = try Array(text.utf8).withUnsafeBytes { try batch.append($0) }
                }
                #expect(try client.write(batch) == perBatch)
            }
        }
    }

    func run(_ engine: MailslotEngine, until done: () -> Bool) { DatagramServiceTests.run(engine, until: done) }

    @Test("a callback that runs the loop mid-batch: every remote message arrives once, in order, on both mailslots")
    func nestedLoopMidBatch() throws {
        let (engine, port) = try DatagramServiceTests.serviceEngine("RECEIVER")
        let pathA = uniqueMailslotPath("cutA")
        let pathB = uniqueMailslotPath("cutB")
        let serverA = try engine.createMailslot(MailslotName(localPath: pathA))
        let serverB = try engine.createMailslot(MailslotName(localPath: pathB), readTimeout: .milliseconds(2000))
        var gotA: [String] = []
        var gotB: [String] = []
        var nestedReadError: MailslotError?
        try serverA.onMessage { bytes in
            gotA.append(bytes.utf8Text)
            guard gotA.count == 1 else { return }
            // Blocks in a nested loop run: the service receives and handles the rest of this
            // batch, and the next, while the first message is still being handled.
            do throws(MailslotError) { gotB.append(String(decoding: try serverB.readMessage(), as: UTF8.self)) } catch { nestedReadError = error }
        }
        try send(to: [pathA, pathB], rounds: 2, perBatch: 10, port: port)
        run(engine) { gotA.count == 20 }
        #expect(nestedReadError == nil)
        try serverB.setReadTimeout(.immediate)
        while let message = try? serverB.readMessage() { gotB.append(String(decoding: message, as: UTF8.self)) }
        #expect(gotA == (0..<20).map { "a\($0)" })
        #expect(gotB == (0..<20).map { "b\($0)" })
        let statistics = try #require(engine.datagramStatistics)
        #expect(statistics.received == 40)
        #expect(statistics.delivered == 40)
        #expect(statistics.drops.total == 0)
        #expect(try serverA.statistics().delivered == 20)
    }

    @Test("a callback that stops the datagram service mid-batch: the rest is counted unread, and the sum is exact")
    func stopMidBatch() throws {
        let (engine, port) = try DatagramServiceTests.serviceEngine("RECEIVER")
        let path = uniqueMailslotPath("cutStop")
        let server = try engine.createMailslot(MailslotName(localPath: path))
        var got: [String] = []
        try server.onMessage { bytes in
            got.append(bytes.utf8Text)
            engine.stopDatagramService()
        }
        try send(to: [path], rounds: 2, perBatch: 10, port: port)
        run(engine) { !got.isEmpty }
        for _ in 0..<5 { engine.runOnce(timeout: 0.01) }
        #expect(got == ["a0"])
        let statistics = try #require(engine.datagramStatistics)
        #expect(statistics.received == 20)
        #expect(statistics.delivered == 1)
        #expect(statistics.drops.closedUnread == 19)
        #expect(statistics.received == statistics.delivered + statistics.drops.total)
    }

    @Test("a remote message over the mailslot's max size is counted oversize, never handed to the callback")
    func oversizeNeverReachesCallback() throws {
        let (engine, port) = try DatagramServiceTests.serviceEngine("RECEIVER")
        let path = uniqueMailslotPath("cutMax")
        let server = try engine.createMailslot(MailslotName(localPath: path), maxMessageSize: 2)
        var got: [String] = []
        try server.onMessage { got.append($0.utf8Text) }
        try send(to: [path], rounds: 1, perBatch: 20, port: port)  // a0…a9 fit, a10…a19 do not
        run(engine) { (engine.datagramStatistics?.received ?? 0) == 20 }
        #expect(got == (0..<10).map { "a\($0)" })
        #expect(try server.statistics().drops.oversize == 10)
        #expect(try server.statistics().delivered == 10)
    }
}
