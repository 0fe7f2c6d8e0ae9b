import Glibc
@testable import MailslotEngine
import MailslotTestSupport
import Testing

@Suite("Flow control: full rings, batched writes, counters", .timeLimit(.minutes(5)))
struct FlowControlTests {
    func name(_ label: String) throws -> MailslotName { try MailslotName(localPath: uniqueMailslotPath(label)) }

    @Test("with the drop policy a full ring drops and counts: every message sent is read, counted as dropped, or refused to its writer")
    func fullRingDropsAreCounted() throws {
        var configuration = EngineConfiguration()
        configuration.ringQuota = 4096
        configuration.whenRingFull = .drop
        let engine = try MailslotEngine(configuration: configuration)
        let slot = try name("dropfull")
        let server = try engine.createMailslot(slot, maxMessageSize: 100, readTimeout: .immediate)
        let client = try MailslotClient(slot)
        var accepted: [[UInt8]] = []
        var refused = 0
        for index in 0..<2000 {
            let payload = Array("payload number \(index) ".utf8) + [UInt8](repeating: 0, count: 60)
            do {
                try client.write(payload)
                accepted.append(payload)
            } catch {
                #expect(error == .queueFull)
                refused += 1
            }
            if index % 5 == 0 { _ = try server.info() }  // drains the kernel queue into the ring (or drops)
        }
        var read: [[UInt8]] = []
        while let message = try? server.readMessage() { read.append(message) }
        let drops = try server.statistics().drops
        #expect(drops.queueFull > 0)
        #expect(UInt64(read.count) + drops.queueFull == UInt64(accepted.count))
        #expect(read.count + Int(drops.queueFull) + refused == 2000)
        // What was read came in the order it was sent (the ring kept the oldest; those still in
        // the kernel queue when the ring emptied came after them).
        var remaining = accepted[...]
        let inOrder = read.allSatisfy { message in
            guard let found = remaining.firstIndex(of: message) else { return false }
            remaining = remaining[(found + 1)...]
            return true
        }
        #expect(inOrder)
        #expect(read.prefix(30) == accepted.prefix(30))
        try client.write("after")
        #expect(try server.readMessage() == Array("after".utf8))
        #expect(engine.statistics.drops.queueFull == drops.queueFull)
    }

    @Test("a batched write sends every message in order with one call per batch")
    func batchedWrite() throws {
        let engine = try MailslotEngine()
        let slot = try name("batch")
        let server = try engine.createMailslot(slot, readTimeout: .immediate)
        var seen: [[UInt8]] = []
        try server.onMessage { seen.append($0.byteArray) }
        let client = try MailslotClient(slot)
        let batch = MailslotWriteBatch(capacity: 8, maxMessageSize: 64)
        for index in 0..<8 {
            let ok = try Array("batched \(index)".utf8).withUnsafeBytes { try batch.append($0) }
            #expect(ok)
        }
        #expect(batch.isFull)
        #expect(try !Array("ninth".utf8).withUnsafeBytes { try batch.append($0) })
        #expect(try client.write(batch) == 8)
        #expect(batch.isEmpty)
        for _ in 0..<100 where seen.count < 8 { engine.runOnce(timeout: 0.05) }
        #expect(seen == (0..<8).map { Array("batched \($0)".utf8) })
    }

    @Test("a batched write into a full queue sends what fits and keeps the rest, in order")
    func batchedWriteKeepsUnsent() throws {
        var configuration = EngineConfiguration()
        configuration.whenRingFull = .pushBack
        configuration.ringQuota = 4096
        let engine = try MailslotEngine(configuration: configuration)
        let slot = try name("partial")
        let server = try engine.createMailslot(slot, maxMessageSize: 64, readTimeout: .immediate)
        let client = try MailslotClient(slot)
        let batch = MailslotWriteBatch(capacity: 16, maxMessageSize: 64)
        var next = 0
        var sawPartial = false
        for _ in 0..<400 {
            while !batch.isFull {
                _ = try Array("m\(next)".utf8).withUnsafeBytes { try batch.append($0) }
                next += 1
            }
            let before = batch.count
            let count = try client.write(batch)
            if count < before { sawPartial = true }
            if count == 0 { break }
        }
        #expect(sawPartial)
        #expect(batch.count > 0)
        // The server now drains; the unsent rest goes out, in order, once there is room.
        var read: [[UInt8]] = []
        while batch.count > 0 {
            while let message = try? server.readMessage() { read.append(message) }
            try client.write(batch)
        }
        while let message = try? server.readMessage() { read.append(message) }
        #expect(read == (0..<next).map { Array("m\($0)".utf8) })
    }

    @Test("a batched write refuses a message larger than the server's maximum and sends nothing")
    func batchedWriteTooLarge() throws {
        let engine = try MailslotEngine()
        let slot = try name("batchbig")
        let server = try engine.createMailslot(slot, maxMessageSize: 10, readTimeout: .immediate)
        let client = try MailslotClient(slot)
        let batch = MailslotWriteBatch(capacity: 2, maxMessageSize: 64)
        batch.append { _ in 5 }
        batch.append { _ in 11 }
        #expect(throws: MailslotError.messageTooLarge(size: 11, limit: 10)) { try client.write(batch) }
        #expect(batch.count == 2)
        #expect(throws: MailslotError.timeout) { try server.readMessage() }
        #expect(throws: MailslotError.messageTooLarge(size: 65, limit: 64)) {
            try [UInt8](repeating: 0, count: 65).withUnsafeBytes { try batch.append($0) }
        }
    }

    @Test("engine counters add up every mailslot, closed ones included")
    func engineStatistics() throws {
        let engine = try MailslotEngine()
        let first = try name("stat1")
        let second = try name("stat2")
        let one = try engine.createMailslot(first, readTimeout: .immediate)
        let two = try engine.createMailslot(second, readTimeout: .immediate)
        try MailslotClient(first).write("a")
        try MailslotClient(second).write("b")
        try MailslotClient(second).write("c")
        _ = try one.readMessage()
        _ = try two.readMessage()
        one.close()
        let total = engine.statistics
        #expect(total.received == 3)
        #expect(total.delivered == 2)
        _ = two
    }
}
