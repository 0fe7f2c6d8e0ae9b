@testable import MailslotEngine
import MailslotTestSupport
import Testing

/// Calling server APIs from inside a callback, a `withNextMessage` body or a completion: each
/// works or fails with a clear error; nothing traps.
@Suite("Re-entrancy", .timeLimit(.minutes(5)))
struct ReentrancyTests {
    func name(_ label: String) throws -> MailslotName { try MailslotName(localPath: uniqueMailslotPath(label)) }

    /// A server with `messages` queued (read into the ring) and a client.
    func server(_ label: String, messages: [String], timeout: ReadTimeout = .immediate) throws -> (MailslotEngine, MailslotServer, MailslotClient) {
        let engine = try MailslotEngine()
        let slot = try name(label)
        let server = try engine.createMailslot(slot, readTimeout: timeout)
        let client = try MailslotClient(slot)
        for message in messages { try client.write(message) }
        return (engine, server, client)
    }

    @Test("inside a callback: info, statistics and setReadTimeout work; info counts the message being handled")
    func infoInsideCallback() throws {
        let (_, server, _) = try server("info", messages: ["one", "two", "three"])
        var counts: [Int] = []
        var delivered: [UInt64] = []
        try server.onMessage { _ in
            counts.append((try? server.info().messageCount) ?? -1)
            delivered.append((try? server.statistics().delivered) ?? 99)
            try? server.setReadTimeout(.milliseconds(5))
        }
        #expect(counts == [3, 2, 1])
        #expect(delivered == [0, 1, 2])
        #expect(try server.info().readTimeout == .milliseconds(5))
    }

    @Test("inside a callback, a blocking read of the same mailslot fails with busy; of another mailslot it works")
    func blockingReadInsideCallback() throws {
        let (engine, server, _) = try server("busy", messages: ["a", "b"])
        let otherName = try name("other")
        let other = try engine.createMailslot(otherName, readTimeout: .milliseconds(2000))
        try MailslotClient(otherName).write("from other")
        var errors: [MailslotError] = []
        var fromOther: [[UInt8]] = []
        var seen: [[UInt8]] = []
        try server.onMessage { bytes in
            seen.append(bytes.byteArray)
            do throws(MailslotError) { _ = try server.readMessage() } catch { errors.append(error) }
            if let message = try? other.readMessage() { fromOther.append(message) }
        }
        #expect(seen == [Array("a".utf8), Array("b".utf8)])
        #expect(errors.count == 2)
        if case .busy? = errors.first {} else { Issue.record("expected busy, got \(errors)") }
        #expect(errors.first?.win32Code == 170)
        #expect(fromOther == [Array("from other".utf8)])
    }

    @Test("inside a callback: onMessage(nil) stops delivery after this message; a new handler takes the next")
    func replaceHandlerInsideCallback() throws {
        let (_, server, _) = try server("swap", messages: ["1", "2", "3", "4"])
        var first: [String] = []
        var second: [String] = []
        try server.onMessage { bytes in
            first.append(bytes.utf8Text)
            try? server.onMessage { second.append($0.utf8Text) }
        }
        #expect(first == ["1"])
        #expect(second == ["2", "3", "4"])
        let (_, stopping, _) = try self.server("stop", messages: ["1", "2", "3"])
        var taken: [String] = []
        try stopping.onMessage { bytes in
            taken.append(bytes.utf8Text)
            try? stopping.onMessage(nil)
        }
        #expect(taken == ["1"])
        #expect(try stopping.readMessage() == Array("2".utf8))
    }

    @Test("inside a callback: close() ends delivery; the handle is invalid afterwards and unread messages are counted")
    func closeInsideCallback() throws {
        let (engine, server, _) = try server("close", messages: ["1", "2", "3"])
        var taken = 0
        try server.onMessage { _ in
            taken += 1
            server.close()
        }
        #expect(taken == 1)
        #expect(throws: MailslotError.invalidHandle) { try server.info() }
        #expect(engine.statistics.delivered == 0)  // the message being handled was not consumed
        #expect(engine.statistics.drops.closedUnread == 3)
    }

    @Test("inside a withNextMessage body: a blocking read of the same mailslot fails with busy, info works")
    func readInsideBody() throws {
        let (_, server, _) = try server("body", messages: ["x", "y"])
        var inner: Result<[UInt8], MailslotError>?
        var count = -1
        let outer = try server.withNextMessage { bytes -> [UInt8] in
            inner = Result { () throws(MailslotError) in try server.readMessage() }
            count = (try? server.info().messageCount) ?? -2
            return bytes.byteArray
        }
        #expect(outer == Array("x".utf8))
        if case .failure(.busy)? = inner {} else { Issue.record("expected busy, got \(String(describing: inner))") }
        #expect(count == 2)
        #expect(try server.readMessage() == Array("y".utf8))
    }

    @Test("inside a callback, messages keep arriving from a nested loop run without growing or moving the pinned one")
    func nestedLoopWhilePinned() throws {
        // A small maximum size: push-back's reserve (room for a batch of largest messages)
        // then fits in the ring's current storage, which a pinned ring cannot grow.
        let engine = try MailslotEngine()
        let slot = try name("nested")
        let server = try engine.createMailslot(slot, maxMessageSize: 64, readTimeout: .immediate)
        let client = try MailslotClient(slot)
        try client.write("first")
        var pinnedStayed = true
        var taken: [String] = []
        try server.onMessage { bytes in
            let before = bytes.byteArray
            taken.append(bytes.utf8Text)
            if taken.count == 1 {
                // The kernel queue holds few datagrams: a nested loop run receives them into
                // the pinned ring's free space as they come.
                var attempts = 0
                for index in 0..<100 {
                    while (try? client.write("later \(index)")) == nil, attempts < 2000 {
                        attempts += 1
                        engine.runOnce(timeout: 0.001)
                    }
                }
                _ = try? server.info()
            }
            pinnedStayed = pinnedStayed && bytes.byteArray == before
        }
        for _ in 0..<100 where taken.count < 101 { engine.runOnce(timeout: 0.02) }
        #expect(pinnedStayed)
        #expect(taken.first == "first")
        #expect(taken.count == 101, "\(taken.count) taken")
        #expect(Array(taken.dropFirst()) == (0..<100).map { "later \($0)" })
        #expect(try server.statistics().drops.total == 0)
    }

    @Test("a completion that reads again is served by the running loop, not nested; timeout 0 fails without recursion")
    func completionChains() throws {
        let (engine, server, _) = try server("chain", messages: (0..<8).map { "m\($0)" })
        var depth = 0
        var deepest = 0
        var taken = 0
        var timeouts = 0
        func next() {
            server.read { result in
                depth += 1
                deepest = max(deepest, depth)
                switch result {
                case .success: taken += 1; next()
                case .failure(.timeout): timeouts += 1; if timeouts < 1000 { next() }
                case .failure: break
                }
                depth -= 1
            }
        }
        next()
        #expect(taken == 8)
        #expect(timeouts == 1000)
        #expect(deepest == 1)
        _ = engine
    }
}

@Suite("Waiting reads", .timeLimit(.minutes(5)))
struct WaitingReadTests {
    @Test("a timed read queued from a completion still times out")
    func timedReadFromCompletion() throws {
        let engine = try MailslotEngine()
        let slot = try MailslotName(localPath: uniqueMailslotPath("timed"))
        let server = try engine.createMailslot(slot, readTimeout: .milliseconds(50))
        try MailslotClient(slot).write("only")
        var outcomes: [String] = []
        server.read { first in
            outcomes.append((try? first.get()).map { String(decoding: $0, as: UTF8.self) } ?? "error")
            server.read { second in
                if case .failure(.timeout) = second { outcomes.append("timeout") }
                engine.stop()
            }
        }
        engine.run(checkingEvery: 0.5) { true }
        #expect(outcomes == ["only", "timeout"])
    }

    @Test("thousands of timed reads on many mailslots expire in deadline order with one timer")
    func manyDeadlines() throws {
        let engine = try MailslotEngine()
        var servers: [MailslotServer] = []
        var expired: [Int] = []
        for index in 0..<20 {
            let slot = try MailslotName(localPath: uniqueMailslotPath("deadline\(index)"))
            // 45 ms apart: far more than queuing a mailslot's 100 reads takes, even under TSan.
            servers.append(try engine.createMailslot(slot, readTimeout: .milliseconds(UInt32(1000 - index * 45))))
        }
        for (index, server) in servers.enumerated() {
            for _ in 0..<100 {
                server.read { result in
                    if case .failure(.timeout) = result { expired.append(index) }
                    if expired.count == 2000 { engine.stop() }
                }
            }
        }
        #expect(engine.reads.scheduledCount == 2000)
        engine.run(checkingEvery: 10) { true }
        #expect(expired.count == 2000)
        // Later mailslots have shorter timeouts: they expire first, group by group.
        #expect(expired.first == 19 && expired.last == 0)
        #expect(zip(expired, expired.dropFirst()).allSatisfy { $0 >= $1 })
        #expect(engine.reads.scheduledCount == 0)
    }
}
