import Glibc
import MailslotCore
import MailslotRing

/// A writer's side of a shared-memory mailslot: the mapped ring, written with no system call
/// per message (an eventfd write only when the reader sleeps).
///
/// Set-up goes through the kernel: the writer sends one end of a socket pair over the
/// mailslot's own socket, as a datagram carrying a descriptor; only the process holding the
/// mailslot's address receives it, so whoever answers is the mailslot's server. The server
/// answers with the ring's memfd, its liveness page and its eventfd when this process may write, or closes the pair
/// unanswered (the writer then keeps to the socket).
final class SharedMemorySender: Sendable {
    private let region: SharedMemoryRegion
    private let writer: SharedRingWriter
    /// Longest single sleep while waiting for room: the reader's liveness is looked at again
    /// after it (a reader killed while writers wait cannot wake them).
    static let longestSleep = 0.05

    private init(region: SharedMemoryRegion, writer: SharedRingWriter) {
        self.region = region
        self.writer = writer
    }

    /// Asks the server behind `socket` (connected to the mailslot) for its ring.
    /// - Returns: `nil` when it has none, refuses, or does not answer within `timeout` seconds.
    static func request(over socket: Int32, timeout: Double) -> SharedMemorySender? {
        guard let pair = try? system_seqpacketPair() else { return nil }
        let mine = Descriptor(owning: pair.0)
        let theirs = Descriptor(owning: pair.1)
        // The server gets its own copy of `theirs` with the request; this one closes right after.
        let sent = (try? DescriptorTransfer.send([theirs.rawValue], over: socket, waiting: false)) != nil
        theirs.close()
        guard sent else { return nil }
        let fds = try? DescriptorTransfer.receive(over: mine.rawValue, count: 3, timeoutMilliseconds: Int32(timeout * 1000))
        mine.close()  // after the receive: a borrowed number alone does not keep its owner alive
        guard let fds, let (region, writer) = SharedMemoryRegion.attach(memoryFD: fds[0], livenessFD: fds[1], wakeFD: fds[2])
        else { return nil }
        return SharedMemorySender(region: region, writer: writer)
    }

    /// What a write came to, beyond success.
    enum Refusal: Error {
        /// The server closed the ring but its socket may live on (a passed handle): use the socket.
        case ringClosed
        /// The ring was written over (its counters make no sense): this message goes by socket;
        /// the reader has been woken to reset the ring.
        case ringCorrupt
        /// A mailslot error for the writer.
        case failed(MailslotError)
    }

    /// Writes one message, waiting for room until `deadline` (monotonic seconds; `nil`: as long
    /// as it takes; a past deadline: not at all).
    /// - Parameter wakingReader: `false` leaves waking a sleeping reader to the caller's
    ///   ``wakeReaderIfAsleep()`` after a batch (one fence per batch, not per message).
    func write(_ bytes: UnsafeRawBufferPointer, until deadline: Double?, wakingReader: Bool = true) throws(Refusal) {
        while true {
            guard region.readerAlive else { throw .failed(.serverGone) }
            switch writer.write(bytes) {
            case .written:
                if wakingReader { wakeReaderIfAsleep() }
                return
            case .closed:
                throw .ringClosed
            case .corrupt:
                system_eventfdSignal(region.wakeFD)
                throw .ringCorrupt
            case .abandoned:
                // The reader gave up on this record (and counted it): the mailslot closed, the
                // ring was reset after someone wrote over it, or this write took longer than
                // the reader's unblock timeout. Never a reader's error such as a timeout.
                if writer.isClosed { throw .failed(.serverGone) }
                throw .failed(.operationAborted(
                    "the server discarded this message before it was committed (its shared-memory ring was reset after "
                        + "being written over, or the write stalled past the reader's unblock timeout); it counted it as dropped"))
            case .full:
                // A full ring whose reader sleeps is woken first, or nobody would make room.
                wakeReaderIfAsleep()
                guard try waitForRoom(for: bytes.count, until: deadline) else { throw .failed(.queueFull) }
            }
        }
    }

    /// Signals the reader's eventfd when it went to sleep (see ``SharedRingWriter/readerNeedsWakeup()``).
    func wakeReaderIfAsleep() {
        if writer.readerNeedsWakeup() { system_eventfdSignal(region.wakeFD) }
    }

    /// Polls this many times (yielding the CPU in between) for room before sleeping on the futex:
    /// a reader that is busy, not stalled, frees room within microseconds.
    static let pollsBeforeSleeping = 64

    /// Waits for room: polls a little, then sleeps on the room futex until the reader makes
    /// room, the deadline passes, or (at most ``longestSleep``) it is time to look at the
    /// reader's liveness again. - Returns: `false` once the deadline has passed.
    private func waitForRoom(for length: Int, until deadline: Double?) throws(Refusal) -> Bool {
        var sleep = Self.longestSleep
        if let deadline {
            let left = deadline - system_monotonicSeconds()
            guard left > 0 else { return false }
            sleep = min(sleep, left)
        }
        for _ in 0..<Self.pollsBeforeSleeping {
            if writer.hasRoom(for: length) { return true }
            sched_yield()
        }
        let sequence = writer.announceWaitingForRoom()
        guard !writer.hasRoom(for: length) else { return true }
        if writer.isClosed { throw .ringClosed }
        system_futexWait(region.roomSequence, expected: sequence, seconds: sleep)
        return true
    }

    /// See ``MailslotClient/_debugClaimWithoutCommit(length:_:)``.
    func debugClaimWithoutCommit(length: Int, _ claimed: () -> Void) {
        _ = writer.write(length: length) { _ in
            claimed()
            while true { sleep(60) }
        }
    }

    /// See ``MailslotClient/_debugScribble(seconds:)``.
    func debugScribble(seconds: Double) {
        let deadline = system_monotonicSeconds() + seconds
        var generator = SystemRandomNumberGenerator()
        // At least 200 rounds of 1,000 words, however slow this process runs (a loaded machine,
        // a sanitizer): enough that the counters and the head record are hit, not only the time.
        var rounds = 0
        while system_monotonicSeconds() < deadline || rounds < 200 {
            rounds += 1
            for _ in 0..<1000 {
                let offset = Int.random(in: 0..<(region.bytes / 8), using: &generator) * 8
                (region.base + offset).storeBytes(of: generator.next() as UInt64, as: UInt64.self)
            }
            system_eventfdSignal(region.wakeFD)
        }
    }
}
