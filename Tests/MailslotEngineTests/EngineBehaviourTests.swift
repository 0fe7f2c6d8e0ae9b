import Glibc
@testable import MailslotEngine
import MailslotTestSupport
import Testing

@Suite("Engine behaviour", .timeLimit(.minutes(5)))
struct EngineBehaviourTests {
    func name(_ label: String) throws -> MailslotName { try MailslotName(localPath: uniqueMailslotPath(label)) }

    @Test("a callback gets every message borrowed, in order, while the loop runs")
    func callbackDelivery() throws {
        let engine = try MailslotEngine()
        let slot = try name("callback")
        let server = try engine.createMailslot(slot)
        var seen: [[UInt8]] = []
        try server.onMessage { seen.append($0.byteArray) }
        let client = try MailslotClient(slot)
        for index in 0..<50 {
            // The kernel queues only net.unix.max_dgram_qlen datagrams (10 by default) while
            // the loop is not running, so let it run between small bursts.
            try client.write("message \(index)")
            if index % 5 == 4 { engine.runOnce(timeout: 0) }
        }
        for _ in 0..<100 where seen.count < 50 { engine.runOnce(timeout: 0.05) }
        #expect(seen == (0..<50).map { Array("message \($0)".utf8) })
        #expect(try server.statistics().delivered == 50)
    }

    @Test("names are case-insensitive and may hold pseudo-directories")
    func caseInsensitiveOpen() throws {
        let engine = try MailslotEngine()
        let path = uniqueMailslotPath("Case") + "\\Sub\\Dir"
        let server = try engine.createMailslot(try MailslotName("\\\\.\\MailSlot\\" + path.uppercased()), readTimeout: .immediate)
        try MailslotClient(try MailslotName("\\\\.\\mailslot\\" + path.lowercased())).write("hi")
        #expect(try server.readMessage() == Array("hi".utf8))
    }

    @Test("a message above the max size fails at the writer and is never delivered")
    func tooLargeAtWriter() throws {
        let engine = try MailslotEngine()
        let slot = try name("max")
        let server = try engine.createMailslot(slot, maxMessageSize: 10, readTimeout: .immediate)
        let client = try MailslotClient(slot)
        #expect(client.maxMessageSize == 10)
        #expect(throws: MailslotError.messageTooLarge(size: 11, limit: 10)) { try client.write([UInt8](repeating: 1, count: 11)) }
        try client.write([UInt8](repeating: 2, count: 10))
        #expect(try server.readMessage() == [UInt8](repeating: 2, count: 10))
        #expect(throws: MailslotError.timeout) { try server.readMessage() }
    }

    @Test("a hostile writer that ignores the max size is dropped and counted as oversize")
    func oversizeDropCounted() throws {
        let engine = try MailslotEngine()
        let slot = try name("hostile")
        let server = try engine.createMailslot(slot, maxMessageSize: 8, readTimeout: .immediate)
        let fd = try system_socket(domain: AF_UNIX, type: Int32(SOCK_DGRAM.rawValue))
        defer { system_close(fd) }
        try system_connect(fd, LocalEndpoint(slot).address)
        for payload in [[UInt8](repeating: 1, count: 100), [1, 2, 3], [UInt8](repeating: 9, count: 9)] {
            _ = try payload.withUnsafeBytes { try system_send(fd, $0) }
        }
        #expect(try server.readMessage() == [1, 2, 3])
        #expect(throws: MailslotError.timeout) { try server.readMessage() }
        #expect(try server.statistics().drops.oversize == 2)
    }

    @Test("messages larger than the size estimate arrive whole and in order (the overflow path)")
    func growingMessages() throws {
        let engine = try MailslotEngine()
        let slot = try name("grow")
        let server = try engine.createMailslot(slot, readTimeout: .immediate)
        let client = try MailslotClient(slot)
        let sizes = [10, 2000, 0, 65_535, 5, 1500, 40_000, 1]
        for (index, size) in sizes.enumerated() {
            try client.write((0..<size).map { UInt8(truncatingIfNeeded: $0 &+ index) })
        }
        for (index, size) in sizes.enumerated() {
            #expect(try server.readMessage() == (0..<size).map { UInt8(truncatingIfNeeded: $0 &+ index) })
        }
    }

    @Test("an idle mailslot holds no ring memory; memory grows with use up to the quota")
    func ringMemory() throws {
        var configuration = EngineConfiguration()
        configuration.ringQuota = 1 << 16
        let engine = try MailslotEngine(configuration: configuration)
        let slot = try name("memory")
        let server = try engine.createMailslot(slot, maxMessageSize: 424, readTimeout: .immediate)
        #expect(try server.ringBytes() == 0)
        let client = try MailslotClient(slot)
        try client.write([UInt8](repeating: 0, count: 424))
        _ = try server.info()
        #expect(try server.ringBytes() > 0)
        #expect(try server.ringBytes() <= 1 << 16)
    }

    @Test("under push-back, a full queue fails writes at once with queue-full; nothing written successfully is lost")
    func queueFullThenRecover() throws {
        var configuration = EngineConfiguration()
        configuration.ringQuota = 4096
        configuration.whenRingFull = .pushBack
        let engine = try MailslotEngine(configuration: configuration)
        let slot = try name("full")
        let server = try engine.createMailslot(slot, maxMessageSize: 100, readTimeout: .immediate)
        let client = try MailslotClient(slot)
        var accepted: [[UInt8]] = []
        var failure: MailslotError?
        for index in 0..<10_000 {
            let payload = Array("payload number \(index) ".utf8) + [UInt8](repeating: 0, count: 60)
            do {
                try client.write(payload)
                accepted.append(payload)
            } catch {
                failure = error
                break
            }
            if index % 20 == 0 { _ = try server.info() }  // the server drains the kernel queue now and then
        }
        #expect(failure == .queueFull)
        var read: [[UInt8]] = []
        while let message = try? server.readMessage() { read.append(message) }
        #expect(read == accepted)
        try client.write("after")
        #expect(try server.readMessage() == Array("after".utf8))
    }

    @Test("an opt-in waiting write gives up with queue-full after its timeout")
    func waitingWriteTimesOut() throws {
        let engine = try MailslotEngine()
        let slot = try name("wait")
        let server = try engine.createMailslot(slot)
        let client = try MailslotClient(slot)
        var failure: MailslotError?
        for _ in 0..<10_000 {
            do { try client.write([1]) } catch { failure = error; break }
        }
        #expect(failure == .queueFull)
        let start = ContinuousClock.now
        #expect(throws: MailslotError.queueFull) {
            try [UInt8]([2]).withUnsafeBytes { try client.write($0, waitingUpTo: 150) }
        }
        #expect(ContinuousClock.now - start >= .milliseconds(140))
        _ = server
    }

    @Test("an opt-in waiting write succeeds once the server makes room", .tags(.crossesThreads))
    func waitingWriteSucceeds() async throws {
        let thread = try MailslotEngineThread()
        let path = uniqueMailslotPath("room")
        let server = try await thread.createMailslot(named: "\\\\.\\mailslot\\" + path, readTimeout: .forever)
        let client = try MailslotClient(try MailslotName(localPath: path))
        // The engine thread drains continuously, so a waiting write always gets through.
        for index in 0..<2000 {
            try Array("m\(index)".utf8).withUnsafeBytes { try client.write($0, waitingUpTo: 5000) }
        }
        for index in 0..<2000 { #expect(try await server.read() == Array("m\(index)".utf8)) }
    }

    @Test("once the server closes, writes fail with server-gone, even if the name is created again")
    func serverGone() throws {
        let engine = try MailslotEngine()
        let slot = try name("gone")
        let server = try engine.createMailslot(slot)
        let client = try MailslotClient(slot)
        try client.write("one")
        server.close()
        #expect(throws: MailslotError.serverGone) { try client.write("two") }
        let again = try engine.createMailslot(slot, readTimeout: .immediate)
        #expect(throws: MailslotError.serverGone) { try client.write("three") }
        #expect(throws: MailslotError.timeout) { try again.readMessage() }
    }

    @Test("closing drops unread messages and frees the name at once")
    func closeDropsMessages() throws {
        let engine = try MailslotEngine()
        let slot = try name("drop")
        let server = try engine.createMailslot(slot, readTimeout: .immediate)
        try MailslotClient(slot).write("unread")
        _ = try server.info()
        server.close()
        #expect(throws: MailslotError.fileNotFound(slot.fullName)) { try MailslotClient(slot) }
        let again = try engine.createMailslot(slot, readTimeout: .immediate)
        #expect(try again.info().messageCount == 0)
    }

    @Test("a new read timeout applies to the next blocking read")
    func setTimeoutAppliesToLaterReads() throws {
        let engine = try MailslotEngine()
        let server = try engine.createMailslot(try name("settimeout"), readTimeout: .forever)
        try server.setReadTimeout(.immediate)
        #expect(throws: MailslotError.timeout) { try server.readMessage() }
        try server.setReadTimeout(.milliseconds(120))
        let start = ContinuousClock.now
        #expect(throws: MailslotError.timeout) { try server.readMessage() }
        #expect(ContinuousClock.now - start >= .milliseconds(110))
        #expect(try server.info().readTimeout == .milliseconds(120))
    }

    @Test("a borrowed read consumes the message without copying it out")
    func borrowedRead() throws {
        let engine = try MailslotEngine()
        let slot = try name("borrow")
        let server = try engine.createMailslot(slot, readTimeout: .immediate)
        try MailslotClient(slot).write("view")
        let length = try server.withNextMessage { $0.byteCount }
        #expect(length == 4)
        #expect(try server.info().messageCount == 0)
    }

    @Test("an async read with a finite timeout fails with a timeout", .tags(.crossesThreads))
    func asyncTimeout() async throws {
        let thread = try MailslotEngineThread()
        let server = try await thread.createMailslot(named: "\\\\.\\mailslot\\" + uniqueMailslotPath("at"), readTimeout: .milliseconds(50))
        await #expect(throws: MailslotError.timeout) { try await server.read() }
        try await server.setReadTimeout(.immediate)
        #expect(try await server.info().readTimeout == .immediate)
    }

    @Test("the list shows live mailslots with owner pid and max size")
    func listing() throws {
        let engine = try MailslotEngine()
        let slot = try name("list")
        let server = try engine.createMailslot(slot, maxMessageSize: 321)
        let entry = LocalMailslots.list().first { $0.name == slot.fullName }
        #expect(entry?.maxMessageSize == 321)
        #expect(entry?.ownerPIDs == [getpid()])
        server.close()
        // A child spawned at this moment by another test holds every descriptor until its
        // exec (close-on-exec acts only then), so allow that brief window.
        var listed = true
        for _ in 0..<200 where listed {
            listed = LocalMailslots.list().contains { $0.name == slot.fullName }
            if listed { usleep(10_000) }
        }
        #expect(!listed)
    }

    @Test("closing the last handle removes the registry entry; a live one keeps it")
    func registryCleanup() throws {
        let engine = try MailslotEngine()
        let slot = try name("registry")
        let server = try engine.createMailslot(slot, maxMessageSize: 9)
        let path = engine.local.registry.directory + "/" + LocalEndpoint(slot).key
        #expect(access(path, F_OK) == 0)
        #expect(engine.local.registry.entry(LocalEndpoint(slot))?.maxMessageSize == 9)
        server.close()
        #expect(access(path, F_OK) != 0)
    }
}

@Suite("Engine loop", .timeLimit(.minutes(5)))
struct EngineLoopTests {
    @Test("a stop requested before run (by a read that completed at once) makes run return")
    func stopBeforeRun() throws {
        let engine = try MailslotEngine()
        let slot = try MailslotName(localPath: uniqueMailslotPath("stop"))
        let server = try engine.createMailslot(slot)
        try MailslotClient(slot).write("already here")
        var got: [UInt8] = []
        server.read { result in
            got = (try? result.get()) ?? []
            engine.stop()
        }
        engine.run()  // would spin forever if the early stop were lost
        #expect(got == Array("already here".utf8))
    }

    @Test("run(checkingEvery:until:) serves messages across idle gaps and returns once the condition holds, not before", .tags(.crossesThreads))
    func runUntilCondition() throws {
        let engine = try MailslotEngine()
        let slot = try MailslotName(localPath: uniqueMailslotPath("until"))
        let server = try engine.createMailslot(slot)
        var received: [String] = []
        try server.onMessage { received.append($0.utf8Text) }
        // Another thread writes 5 messages 30 ms apart: the loop is idle between them, so a run
        // that returned when idle (or ignored the condition) would come back short.
        let writer = TestThread {
            let client = try? MailslotClient(slot)
            for index in 0..<5 {
                usleep(30_000)
                try? client?.write("m\(index)")
            }
        }
        var checks = 0
        engine.run(checkingEvery: 0.005) {
            checks += 1
            return received.count >= 5
        }
        writer.join()
        #expect(received == ["m0", "m1", "m2", "m3", "m4"])
        // The condition was checked again and again while the loop waited (every 5 ms over
        // about 150 ms), not once at the end.
        #expect(checks >= 10, "the condition was checked \(checks) times")
    }
}
