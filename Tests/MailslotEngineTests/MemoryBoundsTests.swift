import Glibc
@testable import MailslotEngine
import MailslotRing
import MailslotTestSupport
import Testing

/// Memory that follows the traffic: ring depth after a large message, idle rings given back,
/// the engine-wide cap, origins bounded by the queue.
@Suite("Memory bounds", .timeLimit(.minutes(5)))
struct MemoryBoundsTests {
    func name(_ label: String) throws -> MailslotName { try MailslotName(localPath: uniqueMailslotPath(label)) }

    /// Writes 16-byte messages until the server pushes back for good (the ring stopped taking
    /// more); returns how many it took.
    func fillWithSmallMessages(_ server: MailslotServer, _ client: MailslotClient) throws -> Int {
        var accepted = 0
        var lastCount = -1
        while true {
            let label = Array("small \(accepted)".utf8)
            do throws(MailslotError) {
                try client.write(label + [UInt8](repeating: 0, count: 16 - label.count))
                accepted += 1
            } catch {
                guard error == .queueFull else { throw error }
                let count = try server.info().messageCount
                if count == lastCount { return accepted }
                lastCount = count
            }
        }
    }

    @Test("after one 64 KiB message a mailslot's 1 MiB ring still holds tens of thousands of small messages, in order")
    func depthAfterLargeMessage() throws {
        let engine = try MailslotEngine()
        let slot = try name("deep")
        let server = try engine.createMailslot(slot, readTimeout: .immediate)
        let client = try MailslotClient(slot)
        try client.write([UInt8](repeating: 7, count: MessageSizeLimit.local))
        #expect(try server.readMessage().count == MessageSizeLimit.local)
        let accepted = try fillWithSmallMessages(server, client)
        let queued = try server.info().messageCount
        #expect(queued >= 20_000, "\(queued) queued")
        #expect(try server.ringBytes() <= 1 << 20)
        // The slot size came back down from 64 KiB.
        let record = try engine.record(server.handle)
        #expect(record.sizeEstimate.bytes <= 512, "estimate \(record.sizeEstimate.bytes)")
        for index in 0..<accepted {
            let message = try server.readMessage()
            if !message.starts(with: Array("small \(index)".utf8)) {
                Issue.record("message \(index) out of order")
                break
            }
        }
        #expect(try server.statistics().drops.total == 0)
    }

    @Test("idle rings give their memory back on the sweep timer")
    func idleRingsShrink() throws {
        var configuration = EngineConfiguration()
        configuration.idleSweepInterval = 0.05
        let engine = try MailslotEngine(configuration: configuration)
        let slot = try name("idle")
        let server = try engine.createMailslot(slot, readTimeout: .immediate)
        let client = try MailslotClient(slot)
        for index in 0..<8 { try client.write("message \(index)") }
        _ = try server.info()
        #expect(try server.ringBytes() > 0)
        while (try? server.readMessage()) != nil {}
        for _ in 0..<40 where (try? server.ringBytes()) != 0 { engine.runOnce(timeout: 0.02) }
        #expect(try server.ringBytes() == 0)
        try client.write("after")
        #expect(try server.readMessage() == Array("after".utf8))
    }

    @Test("the engine-wide cap: mailslots never hold more ring memory together; with drop the excess is counted by cause")
    func engineMemoryCap() throws {
        var configuration = EngineConfiguration()
        configuration.ringMemoryLimit = 64 << 10
        configuration.whenRingFull = .drop
        let engine = try MailslotEngine(configuration: configuration)
        let first = try name("capA")
        let second = try name("capB")
        let serverA = try engine.createMailslot(first, maxMessageSize: 256, readTimeout: .immediate)
        let serverB = try engine.createMailslot(second, maxMessageSize: 256, readTimeout: .immediate)
        let clientA = try MailslotClient(first)
        let clientB = try MailslotClient(second)
        var written = 0
        for index in 0..<3000 {
            let payload = [UInt8](repeating: UInt8(index & 0xFF), count: 200)
            if (try? clientA.write(payload)) != nil { written += 1 }
            if (try? clientB.write(payload)) != nil { written += 1 }
            if index % 4 == 0 {
                _ = try serverA.info()
                _ = try serverB.info()
            }
            #expect(engine.table.ringBudget.used <= 64 << 10)
        }
        _ = try serverA.info()
        _ = try serverB.info()
        var read = 0
        while (try? serverA.readMessage()) != nil { read += 1 }
        while (try? serverB.readMessage()) != nil { read += 1 }
        let drops = engine.statistics.drops
        #expect(drops.engineMemoryFull > 0)
        #expect(UInt64(read) + drops.total == UInt64(written))
    }

    @Test("with push-back (the default) the engine cap refuses writers instead; nothing is dropped")
    func engineMemoryCapPushesBack() throws {
        var configuration = EngineConfiguration()
        configuration.ringMemoryLimit = 32 << 10
        let engine = try MailslotEngine(configuration: configuration)
        let slot = try name("cappush")
        let server = try engine.createMailslot(slot, maxMessageSize: 256, readTimeout: .immediate)
        let client = try MailslotClient(slot)
        let accepted = try fillWithSmallMessages(server, client)
        #expect(engine.table.ringBudget.used <= 32 << 10)
        var read = 0
        while (try? server.readMessage()) != nil { read += 1 }
        #expect(read == accepted)
        #expect(engine.statistics.drops.total == 0)
    }

    @Test("push-back keeps what it took from the kernel: large messages arriving at a nearly full ring go into its overdraft, none dropped")
    func overdraftKeepsLargeMessages() throws {
        var configuration = EngineConfiguration()
        configuration.ringQuota = 64 << 10
        let engine = try MailslotEngine(configuration: configuration)
        let slot = try name("overdraft")
        let server = try engine.createMailslot(slot, readTimeout: .immediate)
        let client = try MailslotClient(slot)
        let small = try fillWithSmallMessages(server, client)
        // Make a little room, then a burst of large messages (above the size estimate).
        for _ in 0..<2000 { _ = try server.readMessage() }
        var large = 0
        for index in 0..<40 {
            let message = [UInt8](repeating: UInt8(index), count: 60_000)
            if (try? client.write(message)) != nil { large += 1 } else { _ = try server.info() }
        }
        _ = try server.info()
        var read = 2000
        var bigRead = 0
        while let message = try? server.readMessage() {
            read += 1
            if message.count == 60_000 { bigRead += 1 }
        }
        #expect(read == small + large)
        #expect(bigRead == large)
        #expect(large > 10)
        #expect(try server.statistics().drops.total == 0)
    }
}
