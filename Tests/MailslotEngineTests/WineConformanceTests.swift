import MailslotEngine
import MailslotTestSupport
import Testing

/// Wine's `dlls/kernel32/tests/mailslot.c` cases (mailslot-spec.md section B), in Win32 form.
/// Cases about operations this API does not have (a write on a server handle, a read on a
/// client handle, NT status blocks, share modes) are checked by the type system instead: see
/// docs/win32-mapping.md.
@Suite("Wine conformance", .timeLimit(.minutes(5)))
struct WineConformanceTests {
    func name(_ label: String) throws -> MailslotName { try MailslotName(localPath: uniqueMailslotPath(label)) }

    func read(_ server: MailslotServer, capacity: Int) throws(MailslotError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: capacity)
        let count = try buffer.withUnsafeMutableBytes { raw in
            Result { () throws(MailslotError) in try server.read(into: raw) }
        }.get()
        return Array(buffer[0..<count])
    }

    @Test("1: querying a closed handle fails with invalid-handle")
    func case01() throws {
        let engine = try MailslotEngine()
        let server = try engine.createMailslot(try name("c1"))
        server.close()
        #expect(throws: MailslotError.invalidHandle) { try server.info() }
    }

    @Test("2: opening a writer before any server exists fails with file-not-found")
    func case02() throws {
        let slot = try name("c2")
        #expect(throws: MailslotError.fileNotFound(slot.fullName)) { try MailslotClient(slot) }
    }

    @Test("3 and 4: creating 'blah' fails with ERROR_INVALID_NAME, an empty name with ERROR_PATH_NOT_FOUND")
    func case03and04() throws {
        let engine = try MailslotEngine()
        do {
            _ = try engine.createMailslot(named: "blah")
            Issue.record("created blah")
        } catch {
            #expect(error == .invalidName(.missingPrefix))
            #expect(error.win32Code == 123)
        }
        do {
            _ = try engine.createMailslot(named: "")
            Issue.record("created an empty name")
        } catch {
            #expect(error.win32Code == 3)
        }
    }

    @Test("5 to 8: max size and timeout round-trip; close frees the name")
    func case05to08() throws {
        let engine = try MailslotEngine()
        let slot = try name("c5")
        let server = try engine.createMailslot(slot, maxMessageSize: 0xFFFF_FFFF, readTimeout: .forever)
        let info = try server.info()
        #expect(info.maxMessageSize == 0xFFFF_FFFF)
        #expect(info.nextMessageSize == nil)
        #expect(info.win32NextSize == MailslotInfo.win32NoMessage)
        #expect(info.messageCount == 0)
        #expect(info.readTimeout.win32Value == 0xFFFF_FFFF)
        server.close()
        let again = try engine.createMailslot(slot, maxMessageSize: 0, readTimeout: .immediate)
        #expect(try again.info().maxMessageSize == 0)
    }

    @Test("9 to 12: reads on an empty mailslot with timeout 0 fail at once; a closed handle is invalid")
    func case09to12() throws {
        let engine = try MailslotEngine()
        let server = try engine.createMailslot(try name("c9"), maxMessageSize: 0, readTimeout: .immediate)
        #expect(throws: MailslotError.timeout) { try read(server, capacity: 0) }
        #expect(throws: MailslotError.timeout) { try read(server, capacity: 16) }
        let other = try engine.createMailslot(try name("c10"))
        other.close()
        #expect(throws: MailslotError.invalidHandle) { try read(other, capacity: 0) }
    }

    @Test("16 to 24: writers open while the server reads; one write is one message; the slot empties")
    func case16to24() throws {
        let engine = try MailslotEngine()
        let slot = try name("c16")
        let server = try engine.createMailslot(slot, readTimeout: .immediate)
        let first = try MailslotClient(slot)
        let second = try MailslotClient(slot)
        #expect(throws: MailslotError.timeout) { try read(server, capacity: 8) }
        try first.write(Array("12345678".utf8))
        #expect(try read(server, capacity: 16) == Array("12345678".utf8))
        #expect(throws: MailslotError.timeout) { try read(server, capacity: 16) }
        _ = second
    }

    @Test("26: a second create of a live name fails with already-exists, in the same process")
    func case26() throws {
        let engine = try MailslotEngine()
        let slot = try name("c26")
        let server = try engine.createMailslot(slot)
        #expect(throws: MailslotError.alreadyExists(slot.fullName)) { try engine.createMailslot(slot) }
        let otherEngine = try MailslotEngine()
        #expect(throws: MailslotError.alreadyExists(slot.fullName)) { try otherEngine.createMailslot(slot) }
        _ = server
    }

    @Test("28 to 40: two writers, FIFO order, exact counts and a zero-length message")
    func case28to40() throws {
        let engine = try MailslotEngine()
        let slot = try name("c28")
        let server = try engine.createMailslot(slot, readTimeout: .immediate)
        let a = try MailslotClient(slot)
        let b = try MailslotClient(slot)
        var info = try server.info()
        #expect(info.nextMessageSize == nil && info.maxMessageSize == 0 && info.messageCount == 0 && info.readTimeout == .immediate)
        #expect(throws: MailslotError.timeout) { try read(server, capacity: 16) }
        try a.write(Array("a".utf8))
        info = try server.info()
        #expect(info.nextMessageSize == 1 && info.messageCount == 1)
        try b.write(Array("bc".utf8))
        info = try server.info()
        #expect(info.nextMessageSize == 1 && info.messageCount == 2)
        try b.write([UInt8]())
        info = try server.info()
        #expect(info.nextMessageSize == 1 && info.messageCount == 3)
        #expect(try read(server, capacity: 16) == Array("a".utf8))
        info = try server.info()
        #expect(info.nextMessageSize == 2 && info.messageCount == 2)
        #expect(try read(server, capacity: 16) == Array("bc".utf8))
        info = try server.info()
        #expect(info.nextMessageSize == 0 && info.messageCount == 1)
        #expect(try read(server, capacity: 16) == [])
        info = try server.info()
        #expect(info.nextMessageSize == nil && info.messageCount == 0)
        #expect(throws: MailslotError.timeout) { try read(server, capacity: 16) }
    }

    @Test("41 to 43: a too-small buffer fails with insufficient-buffer and the message stays queued")
    func case41to43() throws {
        let engine = try MailslotEngine()
        let slot = try name("c41")
        let server = try engine.createMailslot(slot, readTimeout: .immediate)
        try MailslotClient(slot).write([7, 9])
        #expect(throws: MailslotError.insufficientBuffer(needed: 2, available: 1)) { try read(server, capacity: 1) }
        let info = try server.info()
        #expect(info.maxMessageSize == 0 && info.nextMessageSize == 2 && info.messageCount == 1 && info.readTimeout == .immediate)
        #expect(try read(server, capacity: 2) == [7, 9])
    }

    @Test("46: a read with a 1000 ms timeout fails with a timeout after at least 900 ms")
    func case46() throws {
        let engine = try MailslotEngine()
        let server = try engine.createMailslot(try name("c46"), readTimeout: .milliseconds(1000))
        let start = ContinuousClock.now
        #expect(throws: MailslotError.timeout) { try read(server, capacity: 16) }
        #expect(ContinuousClock.now - start >= .milliseconds(900))
    }

    @Test("49 to 52: an async read stays pending on an empty mailslot and completes with the write", .tags(.crossesThreads))
    func case49to52() async throws {
        let thread = try MailslotEngineThread()
        let path = uniqueMailslotPath("c49")
        let server = try await thread.createMailslot(named: "\\\\.\\mailslot\\" + path)
        let pending = Task { try await server.read() }
        try await Task.sleep(for: .milliseconds(100))
        let info = try await server.info()
        #expect(info.messageCount == 0)
        try MailslotClient(try MailslotName(localPath: path)).write(Array("data".utf8))
        let message = try await pending.value
        #expect(message == Array("data".utf8))
        await server.close()
    }
}
