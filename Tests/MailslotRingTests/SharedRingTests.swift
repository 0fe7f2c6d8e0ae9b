import Glibc
@testable import MailslotRing
import MailslotSupport
import MailslotTestSupport
import Synchronization
import Testing

/// A region in this process's memory (the engine maps a memfd; the protocol is the same).
final class TestRegion: @unchecked Sendable {
    let base: UnsafeMutableRawPointer
    let bytes: Int
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        bytes = SharedRingLayout.regionBytes(capacity: capacity)
        base = .allocate(byteCount: bytes, alignment: 4096)
        base.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
    }

    deinit { base.deallocate() }

    var writer: SharedRingWriter { SharedRingWriter(base: base, size: bytes)! }
}

/// The many-writer, one-reader shared ring: whole messages in claim order, room and wake-up
/// flags, records of dead writers skipped, and a reader that survives any bytes in the region.
@Suite("Shared ring", .timeLimit(.minutes(5)))
struct SharedRingTests {
    static func payload(_ length: Int, seed: Int) -> [UInt8] {
        (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ seed &* 7) }
    }

    @Test("messages of every length from 0 to the largest go round the ring many times, whole and in order")
    func lengthSweep() {
        let region = TestRegion(capacity: 1 << 16)
        var reader = SharedRingReader(formatting: region.base, capacity: region.capacity, maxMessage: 8184)
        let writer = region.writer
        var pending: [[UInt8]] = []
        var mismatches = 0
        var delivered = 0
        let lengths = Array(0...1024) + Array(stride(from: 1025, to: 8184, by: 11)) + [8184]
        for length in lengths {
            let bytes = Self.payload(length, seed: length)
            var outcome = bytes.withUnsafeBytes { writer.write($0) }
            while outcome == .full {
                guard case .message(let got) = reader.next() else { break }
                if Array(got) != pending.removeFirst() { mismatches += 1 }
                reader.consume()
                delivered += 1
                outcome = bytes.withUnsafeBytes { writer.write($0) }
            }
            #expect(outcome == .written)
            pending.append(bytes)
        }
        while case .message(let got) = reader.next() {
            if Array(got) != pending.removeFirst() { mismatches += 1 }
            reader.consume()
            delivered += 1
        }
        #expect(mismatches == 0)
        #expect(delivered == lengths.count)
        #expect(pending.isEmpty)
        do { let check = reader.resets == 0; #expect(check) }
    }

    @Test("a full ring refuses a write until the reader consumes one; a message over the largest is refused")
    func fullAndOversize() {
        let region = TestRegion(capacity: 1 << 16)
        var reader = SharedRingReader(formatting: region.base, capacity: region.capacity, maxMessage: 424)
        let writer = region.writer
        let message = [UInt8](repeating: 7, count: 424)
        var written = 0
        while message.withUnsafeBytes({ writer.write($0) }) == .written { written += 1 }
        #expect(written == (1 << 16) / SharedRingLayout.footprint(payload: 424))
        do { let check = reader.messageCount() == written; #expect(check) }
        #expect(!writer.hasRoom(for: 424))
        guard case .message = reader.next() else {
            Issue.record("no message")
            return
        }
        reader.consume()
        #expect(message.withUnsafeBytes { writer.write($0) } == .written)
        let tooLarge = [UInt8](repeating: 1, count: 425)
        #expect(tooLarge.withUnsafeBytes { writer.write($0) } == .full)
        _ = reader.close()
        #expect(message.withUnsafeBytes { writer.write($0) } == .closed)
    }

    @Test("4 writer threads × 100,000 messages: each writer's messages arrive in its order, none lost or doubled", .tags(.crossesThreads))
    func manyWriters() {
        let region = TestRegion(capacity: 1 << 16)
        let reader = Mutex(SharedRingReader(formatting: region.base, capacity: region.capacity, maxMessage: 64))
        let perWriter = 100_000
        let failures = Atomic<Int>(0)
        let writers = (0..<4).map { id in
            TestThread { [region] in
                let writer = region.writer
                for sequence in 0..<perWriter {
                    var record = (UInt32(id), UInt32(sequence))
                    var outcome = SharedRingWriteOutcome.full
                    while outcome == .full {
                        outcome = withUnsafeBytes(of: &record, { writer.write($0) })
                        if outcome == .full { sched_yield() }
                    }
                    if outcome != .written {
                        failures.add(1, ordering: .relaxed)
                        print("writer \(id) message \(sequence): \(outcome)")
                    }
                }
            }
        }
        var next = [UInt32](repeating: 0, count: 4)
        var outOfOrder = 0
        var total = 0
        let deadline = MonotonicClock.seconds() + 120  // a lost message fails the test instead of hanging it
        reader.withLock { reader in
            while total + failures.load(ordering: .relaxed) < 4 * perWriter, MonotonicClock.seconds() < deadline {
                guard case .message(let bytes) = reader.next() else {
                    sched_yield()
                    continue
                }
                let id = Int(bytes.load(as: UInt32.self))
                let sequence = bytes.load(fromByteOffset: 4, as: UInt32.self)
                if sequence != next[id] { outOfOrder += 1 }
                next[id] = sequence &+ 1
                reader.consume()
                total += 1
            }
        }
        for thread in writers { thread.join() }
        #expect(failures.load(ordering: .relaxed) == 0, "writes refused as corrupt or abandoned in an honest ring")
        #expect(total == 4 * perWriter)
        #expect(outOfOrder == 0)
        #expect(next == [UInt32](repeating: UInt32(perWriter), count: 4))
        do { let check = reader.withLock { $0.resets } == 0; #expect(check) }
    }

    @Test("a writer stalled between claim and commit past the timeout loses that message (told 'abandoned'); the next flow", .tags(.crossesThreads))
    func stalledWriterIsSkipped() {
        let region = TestRegion(capacity: 1 << 16)
        var reader = SharedRingReader(formatting: region.base, capacity: region.capacity, maxMessage: 64)
        let release = Atomic<Bool>(false)
        let outcome = Atomic<Int>(-1)
        let stalled = TestThread { [region] in
            let result = region.writer.write(length: 8) { buffer in
                while !release.load(ordering: .acquiring) { usleep(1000) }
                buffer.storeBytes(of: 0xDEAD, as: UInt64.self)
            }
            outcome.store(result == .abandoned ? 1 : 0, ordering: .releasing)
        }
        // Wait until the stalled writer's claim is in: its header reads "claimed".
        while region.base.load(fromByteOffset: SharedRingLayout.controlBytes, as: UInt64.self) == 0 { usleep(1000) }
        let later = [UInt8](repeating: 9, count: 16)
        #expect(later.withUnsafeBytes { region.writer.write($0) } == .written)
        guard case .pending = reader.next() else {
            Issue.record("the stalled record should hold the head")
            return
        }
        let start = 1000.0
        do { let check = !reader.unblockIfStalled(now: start, timeout: 0.5); #expect(check) }
        do { let check = !reader.unblockIfStalled(now: start + 0.4, timeout: 0.5); #expect(check) }
        do { let check = reader.unblockIfStalled(now: start + 0.6, timeout: 0.5); #expect(check) }
        do { let check = reader.abandoned == 1; #expect(check) }
        guard case .message(let bytes) = reader.next() else {
            Issue.record("the later message should follow")
            return
        }
        #expect(Array(bytes) == later)
        reader.consume()
        release.store(true, ordering: .releasing)
        stalled.join()
        #expect(outcome.load(ordering: .acquiring) == 1)
        if case .message = reader.next() { Issue.record("the abandoned message must not appear") }
    }

    @Test("a claim whose writer died before writing its header is skipped up to the next record, or to a still tail")
    func deadUnwrittenClaim() {
        let region = TestRegion(capacity: 1 << 16)
        var reader = SharedRingReader(formatting: region.base, capacity: region.capacity, maxMessage: 64)
        let writer = region.writer
        #expect(writer.claim(length: 40) == .claimed(0))  // the writer "dies" here: tail moved, header 0
        let after = [UInt8](repeating: 5, count: 24)
        #expect(after.withUnsafeBytes { writer.write($0) } == .written)
        guard case .pending = reader.next() else {
            Issue.record("expected pending")
            return
        }
        do { let check = !reader.unblockIfStalled(now: 10, timeout: 1); #expect(check) }
        do { let check = reader.unblockIfStalled(now: 11.5, timeout: 1); #expect(check) }
        guard case .message(let bytes) = reader.next() else {
            Issue.record("the next record should follow")
            return
        }
        #expect(Array(bytes) == after)
        reader.consume()
        // A dead claim with nothing after it: skipped once the tail stood still for the timeout.
        #expect(writer.claim(length: 8) == .claimed(80))
        do { let check = !reader.unblockIfStalled(now: 20, timeout: 1); #expect(check) }
        do { let check = reader.unblockIfStalled(now: 21.5, timeout: 1); #expect(check) }
        if case .empty = reader.next() {} else { Issue.record("the ring should be empty") }
        do { let check = reader.abandoned == 2; #expect(check) }
        #expect(after.withUnsafeBytes { writer.write($0) } == .written)
        if case .message = reader.next() {} else { Issue.record("the ring should work on") }
    }

    @Test("the reader's sleep flag: the first commit after it is asked to wake the reader, once; a busy reader is not woken")
    func wakeupFlag() {
        let region = TestRegion(capacity: 1 << 16)
        var reader = SharedRingReader(formatting: region.base, capacity: region.capacity, maxMessage: 64)
        let writer = region.writer
        let message: [UInt8] = [1, 2, 3]
        _ = message.withUnsafeBytes { writer.write($0) }
        #expect(!writer.readerNeedsWakeup())
        do { let check = !reader.prepareToSleep(); #expect(check, "a message is queued: the reader must not sleep") }
        reader.consume()
        do { let check = reader.prepareToSleep(); #expect(check) }
        _ = message.withUnsafeBytes { writer.write($0) }
        #expect(writer.readerNeedsWakeup())
        _ = message.withUnsafeBytes { writer.write($0) }
        #expect(!writer.readerNeedsWakeup())
        // Writers waiting for room: the reader's look after consuming bumps the room sequence once.
        let sequence = writer.announceWaitingForRoom()
        guard case .message = reader.next() else { return }
        reader.consume()
        do { let check = reader.wakeWaitingWriters(); #expect(check) }
        #expect(region.base.load(fromByteOffset: SharedRingLayout.roomSequenceOffset, as: UInt32.self) == sequence &+ 1)
        guard case .message = reader.next() else { return }
        reader.consume()
        do { let check = !reader.wakeWaitingWriters(); #expect(check) }
    }

    @Test("random bytes scribbled anywhere in the region while writers and the reader run: no crash, no hang, then it works again", .tags(.crossesThreads))
    func scribbler() {
        let region = TestRegion(capacity: 1 << 16)
        var reader = SharedRingReader(formatting: region.base, capacity: region.capacity, maxMessage: 512)
        let attached = region.writer  // writers attach once, before anyone scribbles
        let stop = Atomic<Bool>(false)
        let writer = TestThread {
            let writer = attached
            var counter: UInt64 = 0
            while !stop.load(ordering: .relaxed) {
                counter &+= 1
                _ = withUnsafeBytes(of: &counter) { writer.write($0) }
            }
        }
        let scribbler = TestThread { [region] in
            var generator = SystemRandomNumberGenerator()
            while !stop.load(ordering: .relaxed) {
                let offset = Int.random(in: 0..<(region.bytes - 8), using: &generator)
                region.base.storeBytes(of: generator.next() as UInt64, toByteOffset: offset & ~7, as: UInt64.self)
            }
        }
        let low = UnsafeRawPointer(region.base + SharedRingLayout.controlBytes)
        let high = UnsafeRawPointer(region.base + region.bytes)
        var outside = 0
        var messages = 0
        let deadline = MonotonicClock.seconds() + 2
        while MonotonicClock.seconds() < deadline {
            if case .message(let bytes) = reader.next() {
                if let start = bytes.baseAddress, start < low || start + bytes.count > high || bytes.count > 512 { outside += 1 }
                messages += 1
                reader.consume()
            }
        }
        stop.store(true, ordering: .relaxed)
        writer.join()
        scribbler.join()
        #expect(outside == 0)
        do { let check = reader.resets > 0; #expect(check, "the scribbler should have been noticed") }
        // Quiet again: one reset (as the engine does on the next corruption) and the ring works.
        reader.reset()
        let message: [UInt8] = [4, 2]
        #expect(message.withUnsafeBytes { attached.write($0) } == .written)
        guard case .message(let bytes) = reader.next() else {
            Issue.record("the ring should work after the scribbler stopped")
            return
        }
        #expect(Array(bytes) == message)
        #expect(messages > 0)
    }
}
