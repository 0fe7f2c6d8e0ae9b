import Glibc
@testable import MailslotEngine
import MailslotTestSupport
import Testing

/// The async face of the engine: message streams with back-pressure and cancellation,
/// cancellable reads, and an engine thread that is safe to shut down. Writers are real
/// processes.
@Suite("Async streams and a safe engine thread", .tags(.crossesThreads), .timeLimit(.minutes(10)))
struct AsyncEmbeddingTests {
    static func slotName(_ tag: String) -> (path: String, full: String) {
        let path = uniqueMailslotPath(tag)
        return (path, "\\\\.\\mailslot\\" + path)
    }

    @Test("a stream takes 100,000 messages from two writer processes, in order per writer, in batches")
    func streamInOrder() async throws {
        try await withinBound(seconds: 300) {
            let thread = try MailslotEngineThread()
            let (path, full) = Self.slotName("stream")
            let server = try await thread.createMailslot(named: full)
            let messages = try await server.messages()
            let fleet = try WriterFleet(mailslot: path, writers: 2, perWriter: 50_000)
            var received: [Substring] = []
            for await message in messages {
                #expect(message.origin == nil)
                received.append(Substring(String(decoding: message.bytes, as: UTF8.self)))
                if received.count == 100_000 { break }
            }
            for writer in fleet.waitForAll() { #expect(writer.code == 0, "\(writer.stderr)") }
            #expect(fleet.violation(in: received) == nil, "\(fleet.violation(in: received) ?? "")")
            #expect(try await server.statistics().drops.total == 0)
            await thread.shutdown()
        }
    }

    @Test("a consumer that lags: push-back stops reading at the stream's buffer, the rest waits in the mailslot, nothing is dropped")
    func pushBack() async throws {
        try await withinBound(seconds: 300) {
            let thread = try MailslotEngineThread()
            let (path, full) = Self.slotName("lag")
            let server = try await thread.createMailslot(named: full)
            let messages = try await server.messages(buffer: 100)
            // A writer that waits for room: it stalls while nobody consumes, and finishes later.
            let writer = try ChildProcess(
                "/bin/sh", ["-c", "seq 1 50000 | exec \"$0\" write \"$1\" --stdin --wait 60000", MailslotBinary.path, path])
            // Wait until the writer has sent well past what the stream may hold.
            for _ in 0..<1000 where try await server.statistics().received < 2_000 {
                try await Task.sleep(for: .milliseconds(10))
            }
            try await Task.sleep(for: .milliseconds(50))
            let handedToStream = try await server.statistics().delivered
            let queued = try await server.info().messageCount
            #expect(handedToStream <= UInt64(100 + MessageStreamFeeder.batchLimit), "the stream took \(handedToStream)")
            #expect(queued > 0)
            var count = 0
            var inOrder = true
            for await message in messages {
                count += 1
                inOrder = inOrder && String(decoding: message.bytes, as: UTF8.self) == "\(count)"
                if count == 50_000 { break }
            }
            #expect(writer.waitForExit(timeout: 30) == 0, "\(writer.standardError)")
            #expect(inOrder)
            #expect(try await server.statistics().drops.total == 0)
            await thread.shutdown()
        }
    }

    @Test("a consumer that lags in drop mode: what does not fit is dropped and counted, the sum is exact")
    func dropMode() async throws {
        try await withinBound(seconds: 300) {
            let thread = try MailslotEngineThread()
            let (path, full) = Self.slotName("dropm")
            let server = try await thread.createMailslot(named: full)
            let messages = try await server.messages(buffer: 50, whenFull: .drop)
            let writer = try ChildProcess(
                "/bin/sh", ["-c", "seq 1 5000 | exec \"$0\" write \"$1\" --stdin --wait 60000", MailslotBinary.path, path])
            #expect(writer.waitForExit(timeout: 60) == 0, "\(writer.standardError)")
            var taken = 0
            var statistics = try await server.statistics()
            for _ in 0..<200 where statistics.received < 5000 {
                try await Task.sleep(for: .milliseconds(10))
                statistics = try await server.statistics()
            }
            #expect(statistics.received == 5000)
            let dropped = statistics.drops.queueFull
            #expect(dropped > 0)
            for await _ in messages {
                taken += 1
                if UInt64(taken) + dropped == 5000 { break }
            }
            #expect(UInt64(taken) + dropped == 5000)
            await thread.shutdown()
        }
    }

    @Test("cancelling the consuming task ends the stream; later messages stay in the mailslot")
    func cancelStream() async throws {
        try await withinBound(seconds: 300) {
            let thread = try MailslotEngineThread()
            let (path, full) = Self.slotName("cancel")
            let server = try await thread.createMailslot(named: full)
            let messages = try await server.messages()
            let consumer = Task {
                var seen = 0
                for await _ in messages { seen += 1 }
                return seen
            }
            try await Task.sleep(for: .milliseconds(50))
            consumer.cancel()
            #expect(await consumer.value == 0)
            try await Task.sleep(for: .milliseconds(50))
            try MailslotClient(try MailslotName(localPath: path)).write("after the stream")
            #expect(try await server.read() == Array("after the stream".utf8))
            await thread.shutdown()
        }
    }

    @Test("a cancelled read fails as aborted and never takes a message later")
    func cancelledRead() async throws {
        try await withinBound(seconds: 300) {
            let thread = try MailslotEngineThread()
            let (path, full) = Self.slotName("cread")
            let server = try await thread.createMailslot(named: full)
            let abandoned = Task { try await server.read() }
            try await Task.sleep(for: .milliseconds(50))
            abandoned.cancel()
            await #expect(throws: MailslotError.operationAborted("the read was cancelled")) { try await abandoned.value }
            try MailslotClient(try MailslotName(localPath: path)).write("for the next read")
            #expect(try await server.read() == Array("for the next read".utf8))
            await thread.shutdown()
        }
    }

    @Test("closing a mailslot fails its pending reads with ERROR_OPERATION_ABORTED and finishes its stream after what it holds")
    func closeAborts() async throws {
        try await withinBound(seconds: 300) {
            let thread = try MailslotEngineThread()
            let (_, full) = Self.slotName("close")
            let server = try await thread.createMailslot(named: full)
            let pending = Task { try await server.read() }
            try await Task.sleep(for: .milliseconds(50))
            await server.close()
            do {
                _ = try await pending.value
                Issue.record("the pending read returned")
            } catch let error as MailslotError {
                #expect(error.win32Code == 995)
                #expect(Win32Error.name(of: error.win32Code) == "ERROR_OPERATION_ABORTED")
            }
            let (path2, full2) = Self.slotName("close2")
            let second = try await thread.createMailslot(named: full2)
            let messages = try await second.messages()
            let client = try MailslotClient(try MailslotName(localPath: path2))
            for index in 0..<3 { try client.write("m\(index)") }
            try await Task.sleep(for: .milliseconds(100))
            await second.close()
            var got: [String] = []
            for await message in messages { got.append(String(decoding: message.bytes, as: UTF8.self)) }
            #expect(got == ["m0", "m1", "m2"])
            await thread.shutdown()
        }
    }

    @Test("shutdown: idempotent from many tasks; pending reads and streams end; later calls fail at once")
    func shutdown() async throws {
        try await withinBound(seconds: 300) {
            let thread = try MailslotEngineThread()
            let (_, full) = Self.slotName("shut")
            let server = try await thread.createMailslot(named: full)
            let messages = try await server.messages()
            let reader = Task { try await server.read() }
            let consumer = Task { var seen = 0; for await _ in messages { seen += 1 }; return seen }
            try await Task.sleep(for: .milliseconds(50))
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<8 { group.addTask { await thread.shutdown() } }
            }
            #expect(thread.isShutDown)
            await #expect(throws: MailslotError.self) { try await reader.value }
            #expect(await consumer.value == 0)
            await #expect(throws: MailslotError.operationAborted("the engine thread has shut down")) {
                try await thread.createMailslot(named: Self.slotName("after").full)
            }
            await #expect(throws: MailslotError.operationAborted("the engine thread has shut down")) { try await server.read() }
            #expect(!thread.execute { _ in })
            await thread.shutdown()
        }
    }

    @Test("dropping the engine thread without shutdown stops it: its mailslots close and their names are free")
    func deinitStops() async throws {
        try await withinBound(seconds: 300) {
            let (path, full) = Self.slotName("deinit")
            do {
                let thread = try MailslotEngineThread()
                _ = try await thread.createMailslot(named: full)
                #expect((try? MailslotClient(try MailslotName(localPath: path))) != nil)
            }
            var gone = false
            for _ in 0..<200 where !gone {
                gone = (try? MailslotClient(try MailslotName(localPath: path))) == nil
                if !gone { try await Task.sleep(for: .milliseconds(10)) }
            }
            #expect(gone)
        }
    }
}
