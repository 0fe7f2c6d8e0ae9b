import Glibc
import MailslotEngine
import MailslotTestSupport
import Testing

/// Shared-memory mailslots across real processes: `mailslot serve --shared-memory` as the
/// reader, `mailslot write` processes as writers, with the Win32 contract, dead writers, a
/// killed server, a scribbling writer, and the socket fallback.
@Suite("Shared-memory mailslots", .serialized, .timeLimit(.minutes(5)))
struct SharedMemoryTests {
    let binary = MailslotBinary.path

    /// A pipe whose read end is a child's stdin: lines are fed to the writer one at a time.
    final class Feed {
        let readEnd: Int32
        /// -1 once closed: closing a descriptor twice can close another test's, reused.
        private(set) var writeEnd: Int32

        init() {
            var fds: [Int32] = [0, 0]
            pipe(&fds)
            readEnd = fds[0]
            writeEnd = fds[1]
        }

        func send(_ line: String) {
            let bytes = Array((line + "\n").utf8)
            _ = bytes.withUnsafeBytes { write(writeEnd, $0.baseAddress, $0.count) }
        }

        func close() {
            guard writeEnd >= 0 else { return }
            Glibc.close(writeEnd)
            writeEnd = -1
        }

        deinit {
            Glibc.close(readEnd)
            close()
        }
    }

    func serve(_ path: String, _ extra: [String]) throws -> ChildProcess {
        let server = try ChildProcess(binary, ["serve", path] + extra)
        #expect(server.waitForStderrLine(startingWith: "ready ") != nil)
        return server
    }

    @Test("4 writer processes through shared memory: every message arrives, each writer's in its order")
    func fourWritersInOrder() throws {
        let path = uniqueMailslotPath("shm4")
        let perWriter = 20_000
        // The server prints to a file: a pipe nobody drains while the writers run would stop it.
        let output = temporaryFile("shm4-out", "")
        let outputFD = open(output, O_WRONLY | O_TRUNC)
        let server = try ChildProcess(binary, ["serve", path, "--shared-memory", "256K", "--count", "\(4 * perWriter)"], stdout: outputFD)
        close(outputFD)
        #expect(server.waitForStderrLine(startingWith: "ready ") != nil)
        let writers = try (0..<4).map { id in
            let lines = (0..<perWriter).map { "w\(id) \($0)" }.joined(separator: "\n") + "\n"
            let input = temporaryFile("lines", lines)
            let fd = open(input, O_RDONLY)
            defer { close(fd) }
            return try ChildProcess(binary, ["write", path, "--stdin", "--wait", "30000"], stdin: fd)
        }
        for writer in writers { #expect(writer.waitForExit(timeout: 120) == 0, "\(writer.standardError)") }
        #expect(server.waitForExit(timeout: 60) == 0)
        var next = [Int](repeating: 0, count: 4)
        var outOfOrder = 0
        for line in readLines(of: output) {
            let parts = line.split(separator: " ")
            guard parts.count == 2, let id = Int(parts[0].dropFirst()), let sequence = Int(parts[1]), id < 4 else {
                outOfOrder += 1
                continue
            }
            if sequence != next[id] { outOfOrder += 1 }
            next[id] = sequence + 1
        }
        #expect(outOfOrder == 0)
        #expect(next == [perWriter, perWriter, perWriter, perWriter])
        #expect(server.standardError.contains("summary: \(4 * perWriter) messages received, 0 dropped (none), \(4 * perWriter) through shared memory"), "\(server.standardError)")
    }

    @Test("max size is checked at the writer; a stopped reader's full ring refuses at once, or after --wait, or lets a waiting writer in")
    func sizeAndQueueFull() throws {
        let path = uniqueMailslotPath("shmfull")
        let server = try serve(path, ["--shared-memory", "64K", "--max-size", "100"])
        let tooLarge = try MailslotBinary.run(["write", path, String(repeating: "x", count: 101)])
        #expect(tooLarge.code == 1)
        #expect(tooLarge.stderr.contains("ERROR_INVALID_PARAMETER"), "\(tooLarge.stderr)")
        server.kill(SIGSTOP)
        // 64 KiB of 104-byte records: 630 messages fit; the 631st finds the ring full.
        let lines = (0..<700).map { String(repeating: "m", count: 90) + "\($0 + 1000)" }.joined(separator: "\n") + "\n"
        let input = temporaryFile("full", lines)
        let fd = open(input, O_RDONLY)
        let filler = try ChildProcess(binary, ["write", path, "--stdin"], stdin: fd)
        close(fd)
        #expect(filler.waitForExit() == 1)
        #expect(filler.standardError.contains("ERROR_NOT_ENOUGH_QUOTA"), "\(filler.standardError)")
        let timedOut = try MailslotBinary.run(["write", path, "late", "--wait", "200"])
        #expect(timedOut.code == 1)
        #expect(timedOut.stderr.contains("ERROR_NOT_ENOUGH_QUOTA"))
        let waiting = try ChildProcess(binary, ["write", path, "patient", "--wait", "10000"])
        usleep(300_000)
        server.kill(SIGCONT)
        #expect(waiting.waitForExit() == 0, "\(waiting.standardError)")
        usleep(300_000)
        server.kill(SIGTERM)
        #expect(server.waitForExit() == 0)
        #expect(server.standardOutput.hasSuffix("patient\n"))
        #expect(server.standardError.contains("0 dropped (none)"), "\(server.standardError)")
    }

    @Test("a writer open across the server's exit is told server-gone, and new writers file-not-found")
    func lastHandleCloses() throws {
        let path = uniqueMailslotPath("shmgone")
        let server = try serve(path, ["--shared-memory", "64K", "--count", "1"])
        let feed = Feed()
        let writer = try ChildProcess(binary, ["write", path, "--stdin"], stdin: feed.readEnd)
        feed.send("only")
        #expect(server.waitForExit() == 0)
        #expect(server.standardOutput == "only\n")
        feed.send("after")
        feed.close()
        #expect(writer.waitForExit() == 1)
        #expect(writer.standardError.contains("ERROR_BROKEN_PIPE") || writer.standardError.contains("ERROR_FILE_NOT_FOUND"), "\(writer.standardError)")
        let fresh = try MailslotBinary.run(["write", path, "again"])
        #expect(fresh.stderr.contains("ERROR_FILE_NOT_FOUND"))
    }

    @Test("kill -9 of the server: a writer holding its ring is told server-gone at its next write")
    func serverKilled() throws {
        let path = uniqueMailslotPath("shmkill")
        let server = try serve(path, ["--shared-memory", "64K"])
        let feed = Feed()
        let writer = try ChildProcess(binary, ["write", path, "--stdin"], stdin: feed.readEnd)
        feed.send("before")
        #expect(server.waitForStdoutLine(startingWith: "before") != nil)
        server.kill(SIGKILL)
        _ = server.waitForExit()
        feed.send("after")
        feed.close()
        #expect(writer.waitForExit() == 1)
        #expect(writer.standardError.contains("ERROR_BROKEN_PIPE"), "\(writer.standardError)")
    }

    @Test("a writer killed between claim and commit: later messages arrive, and the dead record is counted")
    func writerKilledMidClaim() throws {
        let path = uniqueMailslotPath("shmdead")
        let server = try serve(path, ["--shared-memory", "64K"])
        let dying = try ChildProcess(binary, ["write", path, "--debug-stall-mid-write"])
        #expect(dying.waitForStderrLine(startingWith: "claimed") != nil)
        dying.kill(SIGKILL)
        _ = dying.waitForExit()
        for message in ["one", "two"] {
            #expect(try MailslotBinary.run(["write", path, message]).code == 0)
        }
        #expect(server.waitForStdoutLine(startingWith: "two", timeout: 10) != nil)
        server.kill(SIGTERM)
        #expect(server.waitForExit() == 0)
        #expect(server.standardOutput == "one\ntwo\n")
        #expect(server.standardError.contains("writer-died 1"), "\(server.standardError)")
    }

    /// Starts a writer that claims a record and dies there (`kill -9`), then a live writer that
    /// sends `count` messages behind it through shared memory and exits 0.
    func deadWriterThenMessages(_ path: String, count: Int) throws {
        let dying = try ChildProcess(binary, ["write", path, "--debug-stall-mid-write"])
        #expect(dying.waitForStderrLine(startingWith: "claimed") != nil)
        dying.kill(SIGKILL)
        _ = dying.waitForExit()
        let input = temporaryFile("behind", (0..<count).map { "m\($0)" }.joined(separator: "\n") + "\n")
        let fd = open(input, O_RDONLY)
        let writer = try ChildProcess(binary, ["write", path, "--stdin"], stdin: fd)
        close(fd)
        #expect(writer.waitForExit() == 0, "\(writer.standardError)")
    }

    @Test("a writer dies mid-record, 1,000 messages follow, SIGTERM at once: the drain waits out the dead record and delivers all 1,000", .timeLimit(.minutes(1)))
    func deadWriterThenSigterm() throws {
        let path = uniqueMailslotPath("shmdrain")
        let server = try serve(path, ["--shared-memory", "64K"])
        try deadWriterThenMessages(path, count: 1000)
        server.kill(SIGTERM)
        #expect(server.waitForExit() == 0)
        #expect(server.standardOutput == (0..<1000).map { "m\($0)\n" }.joined())
        // sent = delivered + counted: the 1,000 delivered; the dead writer's record, never
        // sent, counted as writer-died.
        #expect(server.standardError.contains("summary: 1000 messages received, 1 dropped (writer-died 1), 1000 through shared memory"), "\(server.standardError)")
    }

    @Test("the same with no time to drain: closing counts every message behind the dead record as closed-unread, exactly", .timeLimit(.minutes(1)))
    func deadWriterThenImmediateClose() throws {
        let path = uniqueMailslotPath("shmclose")
        let server = try serve(path, ["--shared-memory", "64K", "--drain-timeout", "0"])
        try deadWriterThenMessages(path, count: 1000)
        server.kill(SIGTERM)
        #expect(server.waitForExit() == 0)
        let delivered = server.standardOutput.split(separator: "\n").count
        let unread = 1000 - delivered
        #expect(server.standardError.contains("summary: \(delivered) messages received, \(unread + 1) dropped (closed-unread \(unread), writer-died 1)"), "\(server.standardError)")
    }

    @Test("a scribbler against a writer of 200,000 messages: what the ring resets threw away is counted (estimated), and the writer's error says its message was discarded", .timeLimit(.minutes(2)))
    func scribblerLossIsCounted() throws {
        let path = uniqueMailslotPath("shmlost")
        let output = temporaryFile("lost-out", "")
        let outputFD = open(output, O_WRONLY | O_TRUNC)
        let server = try ChildProcess(binary, ["serve", path, "--shared-memory", "64K"], stdout: outputFD)
        close(outputFD)
        #expect(server.waitForStderrLine(startingWith: "ready ") != nil)
        let count = 200_000
        let input = temporaryFile("lost", (0..<count).map { "m\($0)" }.joined(separator: "\n") + "\n")
        let fd = open(input, O_RDONLY)
        let writer = try ChildProcess(binary, ["write", path, "--stdin", "--wait", "10000"], stdin: fd)
        close(fd)
        usleep(200_000)
        let scribbler = try ChildProcess(binary, ["write", path, "--debug-scribble", "1"])
        #expect(scribbler.waitForExit() == 0)
        let code = writer.waitForExit(timeout: 90)
        // The writer either got everything in, or stopped at a message the reader discarded,
        // told as such (never as a reader's timeout), and said how many went before it.
        var sent = count
        if code != 0 {
            #expect(writer.standardError.contains("ERROR_OPERATION_ABORTED") && writer.standardError.contains("discarded"), "\(writer.standardError)")
            #expect(!writer.standardError.contains("ERROR_SEM_TIMEOUT"))
            let before = writer.standardError.split(separator: ";").last?.split(separator: " ").first
            sent = Int(before ?? "") ?? -1
        }
        usleep(1_500_000)  // past the unblock timeout: the last reset is done
        server.kill(SIGTERM)
        #expect(server.waitForExit() == 0)
        let delivered = readLines(of: output).count
        let estimated = Self.count(of: "ring-reset-estimated", in: server.standardError)
        #expect(server.standardError.contains("ring resets after corruption"), "\(server.standardError)")
        // Nothing vanishes without a count: each reset's loss is counted, as an estimate close
        // to the truth (exact where the headers survived, by the average record elsewhere).
        let lost = sent - delivered
        #expect(lost <= 0 || estimated > 0, "sent \(sent), delivered \(delivered): \(server.standardError)")
        #expect(abs(lost - estimated) <= max(50, lost / 4), "sent \(sent), delivered \(delivered), estimated \(estimated): \(server.standardError) \(writer.standardError)")
    }

    /// The count the `summary:` line of `output` gives a drop cause (`name N`), or 0.
    static func count(of cause: String, in output: String) -> Int {
        let summary = output.split(separator: "\n").first { $0.hasPrefix("summary:") } ?? ""
        let words = summary.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "(" || $0 == ")" || $0 == "\n" })
        guard let index = words.firstIndex(where: { $0 == cause }), index + 1 < words.count else { return 0 }
        return Int(words[index + 1]) ?? 0
    }

    @Test("a writer scribbling random bytes over the ring: the server survives, counts resets, and socket writers get through")
    func scribbler() throws {
        let path = uniqueMailslotPath("shmscribble")
        let server = try serve(path, ["--shared-memory", "64K"])
        let scribbler = try ChildProcess(binary, ["write", path, "--debug-scribble", "2"])
        for index in 0..<20 {
            #expect(try MailslotBinary.run(["write", path, "--socket-only", "socket \(index)"]).code == 0)
            usleep(50_000)
        }
        #expect(scribbler.waitForExit() == 0, "\(scribbler.standardError)")
        // Quiet again: the ring works after the reader's reset. The reader resets junk it finds
        // once a claim stays uncommitted for its unblock timeout (1 s); until then the ring can
        // be full of the scribbler's bytes, so this writer waits for room as a writer may.
        // The reset that clears the scribbler's junk may discard a record claimed just before
        // it: that writer is told (ERROR_OPERATION_ABORTED, counted as dropped), and writes
        // again, as a writer may.
        var after = try MailslotBinary.run(["write", path, "shared after", "--wait", "10000"])
        for _ in 0..<3 where after.code != 0 {
            #expect(after.stderr.contains("Win32 error 995"), "\(after.stderr)")
            after = try MailslotBinary.run(["write", path, "shared after", "--wait", "10000"])
        }
        #expect(after.code == 0, "\(after.stderr)")
        #expect(server.waitForStdoutLine(startingWith: "shared after", timeout: 10) != nil)
        server.kill(SIGTERM)
        #expect(server.waitForExit() == 0)
        let received = server.standardOutput.split(separator: "\n").filter { $0.hasPrefix("socket ") }
        #expect(received.count == 20)
        #expect(server.standardError.contains("ring resets after corruption"), "\(server.standardError)")
        // The engine logged it, once: resets repeat at traffic rate, warnings at most every 10 s.
        let warnings = server.standardError.split(separator: "\n").filter { $0.contains("written outside the protocol") }
        #expect(warnings.count == 1, "\(server.standardError)")
        #expect(warnings.first?.contains("warning") == true)
    }

    @Test("a reader that spins before sleeping (sharedMemorySpin) takes 20,000 messages from a writer process, in order")
    func spinningReader() throws {
        var configuration = EngineConfiguration()
        configuration.sharedMemorySpin = 0.0002
        let engine = try MailslotEngine(configuration: configuration)
        let path = uniqueMailslotPath("shmspin")
        let server = try engine.createMailslot(try MailslotName(localPath: path), sharedMemoryBytes: 64 << 10)
        var next = 0
        var outOfOrder = 0
        try server.onMessage { bytes in
            if Int(bytes.utf8Text) != next { outOfOrder += 1 }
            next += 1
        }
        let count = 20_000
        let input = temporaryFile("spin", (0..<count).map(String.init).joined(separator: "\n") + "\n")
        let fd = open(input, O_RDONLY)
        let writer = try ChildProcess(binary, ["write", path, "--stdin", "--wait", "30000"], stdin: fd)
        close(fd)
        let deadline = Double(time(nil)) + 60
        engine.run(checkingEvery: 0.01) { next >= count || Double(time(nil)) > deadline }
        #expect(writer.waitForExit() == 0, "\(writer.standardError)")
        #expect(next == count)
        #expect(outOfOrder == 0)
        let statistics = try server.statistics()
        #expect(statistics.receivedThroughSharedMemory == UInt64(count))
        server.close()
    }

    @Test("without --shared-memory, and for another user, writers use the socket")
    func fallbackToSocket() throws {
        let path = uniqueMailslotPath("shmoff")
        let plain = try serve(path, ["--count", "1"])
        #expect(try MailslotBinary.run(["write", path, "by socket"]).code == 0)
        #expect(plain.waitForExit() == 0)
        #expect(plain.standardError.contains("summary: 1 messages received, 0 dropped (none)\n") || plain.standardError.hasSuffix("(none)\n"), "\(plain.standardError)")
        #expect(!plain.standardError.contains("through shared memory"))
        guard geteuid() == 0, access("/usr/bin/setpriv", X_OK) == 0 else { return }
        let offered = uniqueMailslotPath("shmother")
        let server = try serve(offered, ["--shared-memory", "64K", "--count", "2"])
        let other = try ChildProcess("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", binary, "write", offered, "from nobody"])
        #expect(other.waitForExit() == 0, "\(other.standardError)")
        #expect(try MailslotBinary.run(["write", offered, "from root"]).code == 0)
        #expect(server.waitForExit() == 0)
        #expect(server.standardOutput.contains("from nobody"))
        #expect(server.standardError.contains("2 messages received, 0 dropped (none), 1 through shared memory"), "\(server.standardError)")
    }
}
