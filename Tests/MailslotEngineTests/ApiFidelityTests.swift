import Glibc
import Synchronization
@testable import MailslotEngine
import MailslotTestSupport
import Testing

/// The small API promises: Win32 timeout spellings, typed errors for bad descriptors, writers
/// that sleep, and the CLI's bounded stdin and summaries.
@Suite("API fidelity", .timeLimit(.minutes(5)))
struct ApiFidelityTests {
    func name(_ label: String) throws -> MailslotName { try MailslotName(localPath: uniqueMailslotPath(label)) }

    @Test("timeouts: .milliseconds(0) is 0 (at once) and .milliseconds(0xFFFFFFFF) is forever, in every read path")
    func timeoutSpellings() throws {
        #expect(ReadTimeout.milliseconds(0) == .immediate)
        #expect(ReadTimeout.milliseconds(0xFFFF_FFFF) == .forever)
        #expect(ReadTimeout.milliseconds(0xFFFF_FFFF).seconds == nil)
        #expect(ReadTimeout.milliseconds(0).isImmediate)
        #expect(Set([ReadTimeout.milliseconds(0), .immediate]).count == 1)
        let engine = try MailslotEngine()
        let server = try engine.createMailslot(try name("zero"), readTimeout: .milliseconds(0))
        var outcome: Result<[UInt8], MailslotError>?
        server.read { outcome = $0 }
        guard case .failure(.timeout)? = outcome else {
            Issue.record("a completion read with timeout 0 should fail at once, got \(String(describing: outcome))")
            return
        }
        #expect(throws: MailslotError.timeout) { try server.readMessage() }
        try server.setReadTimeout(.milliseconds(0xFFFF_FFFF))
        #expect(try server.info().readTimeout.win32Value == 0xFFFF_FFFF)
        var pending = true
        server.read { _ in pending = false }
        engine.runOnce(timeout: 0.05)
        #expect(pending)  // forever means no deadline: still waiting
        #expect(engine.reads.scheduledCount == 0)
    }

    @Test("descriptors from the caller give typed errors, never a trap")
    func badDescriptors() throws {
        let engine = try MailslotEngine()
        #expect(throws: MailslotError.invalidHandle) { try engine.adoptMailslot(descriptor: 987_654) }
        #expect(throws: MailslotError.invalidHandle) { try engine.adoptMailslot(descriptor: -1) }
        #expect(throws: MailslotError.invalidHandle) { try engine.receiveMailslot(over: 987_654) }
        let file = open("/dev/null", O_RDONLY)
        #expect(throws: MailslotError.invalidHandle) { try engine.adoptMailslot(descriptor: file) }
        #expect(fcntl(file, F_GETFD) == -1)  // the engine owned it: closed
        let server = try engine.createMailslot(try name("sendbad"))
        #expect(throws: MailslotError.invalidHandle) { try server.send(over: 987_654) }
    }

    @Test("a batched write waiting for room sleeps in poll: its thread uses almost no CPU while the queue is full", .tags(.crossesThreads))
    func blockingBatchWriteSleeps() throws {
        let engine = try MailslotEngine()
        let slot = try name("sleep")
        let server = try engine.createMailslot(slot, maxMessageSize: 64, readTimeout: .immediate)
        let client = try MailslotClient(slot)
        // Fill the kernel queue (the engine is not reading).
        while (try? client.write("fill")) != nil {}
        let cpu = Mutex<Double?>(nil)
        let writer = TestThread {
            let batch = MailslotWriteBatch(capacity: 4, maxMessageSize: 64)
            for _ in 0..<4 { batch.append { _ in 8 } }
            let before = Self.threadCPUSeconds()
            let sent = (try? client.write(batch, waitingUpTo: nil)) ?? 0
            let used = Self.threadCPUSeconds() - before
            cpu.withLock { $0 = sent == 4 ? used : -1 }
        }
        usleep(600_000)
        #expect(cpu.withLock { $0 } == nil)  // still waiting for room
        while cpu.withLock({ $0 }) == nil {
            while (try? server.readMessage()) != nil {}  // room at last: the writer finishes
            usleep(10_000)
        }
        writer.join()
        let used = try #require(cpu.withLock { $0 })
        #expect(used >= 0, "the batch was not sent whole")
        #expect(used < 0.1, "the waiting writer used \(used) s of CPU in 0.6 s")
    }

    @Test("serve --count 0 prints its summary and exits 0")
    func serveCountZero() throws {
        let result = try MailslotBinary.run(["serve", uniqueMailslotPath("zero"), "--count", "0"])
        #expect(result.code == 0)
        #expect(result.stderr.contains("summary: 0 messages received, 0 dropped (none)"), "\(result.stderr)")
    }

    /// The peak resident memory (KiB) of a `mailslot write --stdin` that sends two short lines
    /// to a mailslot of its own and waits a second on its open input before it ends.
    static func peakOfShortWriter() throws -> Int {
        let path = uniqueMailslotPath("short")
        let server = try ChildProcess(MailslotBinary.path, ["serve", path, "--count", "2"])
        defer { _ = server.waitForExit(timeout: 10) }
        guard server.waitForStderrLine(startingWith: "ready ") != nil else { return 0 }
        var pipeFDs: [Int32] = [0, 0]
        guard pipe(&pipeFDs) == 0 else { return 0 }
        let feeder = try ChildProcess("/bin/sh", ["-c", "printf 'a\\nb\\n'; sleep 1"], stdout: pipeFDs[1])
        close(pipeFDs[1])
        let writer = try ChildProcess(MailslotBinary.path, ["write", path, "--stdin", "--wait", "5000"], stdin: pipeFDs[0])
        close(pipeFDs[0])
        let (peak, _) = Self.peakResident(of: writer, rounds: 1000)
        _ = feeder.waitForExit(timeout: 10)
        return peak
    }

    /// Samples `process`'s resident high-water mark every 10 ms until it exits (at most
    /// `rounds` times). - Returns: the highest sample (KiB) and the exit code, if it exited.
    static func peakResident(of process: ChildProcess, rounds: Int) -> (peak: Int, code: Int32?) {
        var peak = 0
        var code: Int32?
        for _ in 0..<rounds where code == nil {
            peak = max(peak, process.residentHighWaterKilobytes() ?? 0)
            code = process.waitForExit(timeout: 0.01)
        }
        return (peak, code)
    }

    @Test("write --stdin refuses a 200 MB line without holding it, and says how many lines went before")
    func hugeStdinLine() throws {
        let path = uniqueMailslotPath("huge")
        let server = try ChildProcess(MailslotBinary.path, ["serve", path, "--max-size", "1000", "--count", "2"])
        #expect(server.waitForStderrLine(startingWith: "ready ") != nil)
        // A feeder process writes the input into a pipe, so the writer runs long enough for its
        // memory to be sampled while it reads the 200 MB line. (A process, not a task: tests
        // that block the cooperative pool's threads would starve a feeding task.)
        var pipeFDs: [Int32] = [0, 0]
        #expect(pipe(&pipeFDs) == 0)
        let feeder = try ChildProcess(
            "/bin/sh", ["-c", "printf 'first line\\nsecond line\\n'; head -c 209715200 /dev/zero | tr '\\0' a; printf '\\nnever sent\\n'"],
            stdout: pipeFDs[1])
        close(pipeFDs[1])
        let writer = try ChildProcess(MailslotBinary.path, ["write", path, "--stdin"], stdin: pipeFDs[0])
        close(pipeFDs[0])
        let (peak, code) = Self.peakResident(of: writer, rounds: 6000)
        _ = feeder.waitForExit(timeout: 30)
        // The same binary (and sanitizer, if any) writing two short lines: what a writer needs
        // anyway. The 200 MB line may add a bounded line buffer to that, never the line.
        let baseline = try Self.peakOfShortWriter()
        #expect(code == 1)
        #expect(writer.standardError.contains("message too large: 209715200 bytes, the mailslot takes at most 1000"), "\(writer.standardError)")
        #expect(writer.standardError.contains("2 messages were sent before the failure"))
        #expect(peak > 0 && baseline > 0 && peak < baseline + 32_000, "peak RSS \(peak) KiB, a short writer's \(baseline) KiB")
        #expect(server.waitForExit() == 0)
        #expect(server.standardOutput == "first line\nsecond line\n")
    }

    static func threadCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
