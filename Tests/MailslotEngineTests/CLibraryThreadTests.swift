import CMailslotAPI
import Glibc
import MailslotC
import MailslotTestSupport
import Synchronization
import Testing

/// The C library's entry points called from many threads at once, in this process, so the
/// ThreadSanitizer run (`scripts/sanitize.sh`, tag `crossesThreads`) instruments the library
/// itself: the handle table, the servers' locks, the drain thread, the waits. (A C harness
/// built with `-fsanitize=thread` against the release library cannot: the Swift runtime's
/// reference counts are invisible to it, and it reports every object freed on another thread.)
@Suite("C library from many threads", .tags(.crossesThreads), .timeLimit(.minutes(3)))
struct CLibraryThreadTests {
    static let slots = 4
    static let writers = 4
    static let perWriter = 400

    @Test("4 readers and 4 writers through the C API at once, with info calls: every message once, in order per writer")
    func eightThreads() async throws {
        let names = (0..<Self.slots).map { "\\\\.\\mailslot\\" + uniqueMailslotPath("cthreads\($0)") }
        let handles: [UInt] = names.map { name in
            var slot: OpaquePointer?
            #expect(mslSlotCreate(&slot, name, nil) == 0)
            return UInt(bitPattern: slot)
        }
        let problems = Mutex<[String]>([])
        let readers = handles.enumerated().map { index, bits in
            TestThread {
                var next = [Int](repeating: 0, count: Self.writers)
                var buffer = [UInt8](repeating: 0, count: 64)
                for _ in 0..<(Self.writers * Self.perWriter) {
                    var length = buffer.count
                    let code = buffer.withUnsafeMutableBytes { mslRecvTimeout(OpaquePointer(bitPattern: bits), $0.baseAddress, &length, 20_000) }
                    guard code == 0 else { return problems.withLock { $0.append("slot \(index): recv \(code)") } }
                    let text = String(decoding: buffer[0..<length], as: UTF8.self).split(separator: ":")
                    guard let writer = Int(text[0]), let sequence = Int(text[1]), sequence == next[writer] else {
                        return problems.withLock { $0.append("slot \(index): out of order \(text)") }
                    }
                    next[writer] += 1
                }
            }
        }
        let writerThreads = (0..<Self.writers).map { me in
            TestThread {
                var writers: [OpaquePointer?] = []
                for name in names {
                    var writer: OpaquePointer?
                    guard mslWriterOpen(&writer, name) == 0 else { return problems.withLock { $0.append("open \(name)") } }
                    writers.append(writer)
                }
                for sequence in 0..<Self.perWriter {
                    for (index, writer) in writers.enumerated() {
                        let text = Array("\(me):\(sequence)".utf8)
                        let code = text.withUnsafeBytes { mslSendTimeout(writer, $0.baseAddress, $0.count, 10_000) }
                        if code != 0 { problems.withLock { $0.append("writer \(me) to \(index): send \(code)") } }
                    }
                    if sequence % 50 == 0 {
                        var info = msl_slot_info()
                        let code = mslSlotInfo(OpaquePointer(bitPattern: handles[sequence % Self.slots]), &info)
                        if code != 0 { problems.withLock { $0.append("info \(code)") } }
                    }
                }
                for writer in writers { _ = mslWriterClose(writer) }
            }
        }
        let all = writerThreads + readers
        try await TestThread.await { for thread in all { thread.join() } }
        #expect(problems.withLock { $0 }.isEmpty, "\(problems.withLock { $0 })")
        for bits in handles { #expect(mslSlotClose(OpaquePointer(bitPattern: bits)) == 0) }
    }

    @Test("a close from another thread ends a read waiting for ever with ERROR_OPERATION_ABORTED")
    func closeDuringWait() async throws {
        var slot: OpaquePointer?
        #expect(mslSlotCreate(&slot, "\\\\.\\mailslot\\" + uniqueMailslotPath("cclose"), nil) == 0)
        let bits = UInt(bitPattern: slot)
        let result = Mutex<Int32?>(nil)
        let reader = TestThread {
            var buffer = [UInt8](repeating: 0, count: 8)
            var length = buffer.count
            let code = buffer.withUnsafeMutableBytes { mslRecvTimeout(OpaquePointer(bitPattern: bits), $0.baseAddress, &length, -1) }
            result.withLock { $0 = code }
        }
        usleep(100_000)
        #expect(mslSlotClose(slot) == 0)
        try await TestThread.await { reader.join() }
        #expect(result.withLock { $0 } == 995)
    }

    @Test("events set, reset and waited on from several threads: an auto-reset event wakes exactly one waiter per set")
    func autoResetEventWakesOne() async throws {
        let event = UInt(bitPattern: createEventA(nil, 0, 0, nil))
        let woken = Mutex(0)
        let waiters = (0..<3).map { _ in
            TestThread {
                if waitForSingleObject(UnsafeMutableRawPointer(bitPattern: event), 3000) == 0 { woken.withLock { $0 += 1 } }
            }
        }
        // Plain sleeps: a task's sleep may resume only after the waiters' 3 s, when the test
        // pool is busy.
        usleep(50_000)
        #expect(setEvent(UnsafeMutableRawPointer(bitPattern: event)) == 1)
        usleep(300_000)
        #expect(woken.withLock { $0 } == 1)
        #expect(setEvent(UnsafeMutableRawPointer(bitPattern: event)) == 1)
        try await TestThread.await { for waiter in waiters { waiter.join() } }  // the third times out
        #expect(woken.withLock { $0 } == 2)
        // A set on a set event counts once: one wait takes it, the next finds it clear.
        let handle = UnsafeMutableRawPointer(bitPattern: event)
        #expect(setEvent(handle) == 1 && setEvent(handle) == 1)
        #expect(waitForSingleObject(handle, 0) == 0)
        #expect(waitForSingleObject(handle, 0) == 0x102)
        #expect(closeHandle(handle) == 1)
    }
}
