import CMailslotAPI
import Glibc
import MailslotC
import MailslotTestSupport
import Synchronization
import Testing

/// What the C library's log handler received (`msl_set_log_handler` takes a C function).
private let logged = Mutex<[String]>([])

/// The C library's log goes to the program's handler, and nowhere else.
@Suite("C library log handler", .timeLimit(.minutes(3)))
struct CLibraryLogTests {
    @Test("a shared-memory writer that dies mid-message: the C server skips its record, reads on, and the warning reaches the program's log handler")
    func stalledWriterIsLogged() async throws {
        mslSetLogHandler({ level, line, _ in
            if let line { logged.withLock { $0.append("\(level) " + String(cString: line)) } }
        }, nil, MSL_LOG_WARNING)
        defer { mslSetLogHandler(nil, nil, 0) }
        let name = "\\\\.\\mailslot\\" + uniqueMailslotPath("clog")
        var options = msl_slot_options()
        mslSlotOptionsInit(&options)
        options.shared_memory_bytes = 1 << 16
        var slot: OpaquePointer?
        #expect(mslSlotCreate(&slot, name, &options) == 0)
        defer { _ = mslSlotClose(slot) }
        let staller = try ChildProcess(MailslotBinary.path, ["write", name, "lost", "--debug-stall-mid-write"])
        #expect(staller.waitForStderrLine(startingWith: "claimed") != nil, "\(staller.standardError)")
        staller.kill(SIGKILL)
        _ = staller.waitForExit()
        let after = try MailslotBinary.run(["write", name, "after the dead writer"])
        #expect(after.code == 0, "\(after.stderr)")
        let bits = UInt(bitPattern: slot)
        let (code, text) = try await TestThread.await {
            var buffer = [UInt8](repeating: 0, count: 64)
            var length = buffer.count
            let code = buffer.withUnsafeMutableBytes { mslRecvTimeout(OpaquePointer(bitPattern: bits), $0.baseAddress, &length, 10_000) }
            return (code, String(decoding: buffer[0..<length], as: UTF8.self))
        }
        #expect(code == 0)
        #expect(text == "after the dead writer")
        let lines = logged.withLock { $0 }
        #expect(lines.contains { $0.hasPrefix("\(MSL_LOG_WARNING) ") && $0.contains("uncommitted") }, "\(lines)")
    }
}
