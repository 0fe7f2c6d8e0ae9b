import CLibEv
import MailslotRing

/// A mailslot's shared-memory ring, read on the engine's loop: the reader, the watcher on the
/// eventfd writers wake it with, and the timer that skips records whose writer died.
///
/// Wake-up protocol: when the reader finds the ring empty it raises "reader asleep" and looks
/// once more (``SharedRingReader/prepareToSleep()``); a writer that commits and then sees the
/// flag clears it and signals the eventfd. Writers waiting for room sleep on a futex word that
/// ``wakeWaitingWriters()`` bumps and wakes, after a batch, only when a writer announced it waits.
final class SharedMemoryReceiver {
    let region: SharedMemoryRegion
    /// Unchecked exclusivity: touched for every message, on the loop thread only.
    @exclusivity(unchecked) var reader: SharedRingReader
    /// Watches the eventfd writers wake the reader with (made when the receiver starts on a loop).
    private(set) var wakeWatcher: LoopIO?
    /// Runs while the head record is claimed but not committed, to skip it once its writer has
    /// been gone for ``unblockTimeout`` (made when the receiver starts on a loop).
    private(set) var stallTimer: LoopTimer?
    /// Seconds a claimed record may stay uncommitted before the reader skips it.
    let unblockTimeout: Double
    /// Seconds the reader polls an empty ring before it sleeps (`0`: sleeps at once).
    let spin: Double
    /// `true` while the loop polls this ring (spins) after a wake-up: the "reader asleep" flag
    /// stays down meanwhile, and only the spin loop raises it.
    var isSpinning = false

    /// Makes a ring of at least `bytes` (see ``SharedRingLayout/capacity(requested:maxMessage:)``).
    init(bytes: Int, maxMessage: Int, configuration: EngineConfiguration) throws(SyscallError) {
        let capacity = SharedRingLayout.capacity(requested: bytes, maxMessage: maxMessage)
        region = try SharedMemoryRegion.create(capacity: capacity)
        reader = SharedRingReader(formatting: region.base, capacity: capacity, maxMessage: maxMessage)
        unblockTimeout = max(0.001, configuration.sharedMemoryUnblockTimeout)
        spin = max(0, configuration.sharedMemorySpin)
    }

    /// Starts watching, with `index` (the slot) as the watchers' data.
    func start(loop: OpaquePointer, index: Int) {
        let wakeWatcher = LoopIO(loop: loop, fd: region.wakeFD, tag: index) { loop, index in
            MailslotEngine.from(loop).handleSharedMemoryWake(index: index)
        }
        self.wakeWatcher = wakeWatcher
        stallTimer = LoopTimer(loop: loop) { MailslotEngine.from(loop).checkSharedMemoryStall(index: index) }
        wakeWatcher.start()
        _ = reader.prepareToSleep()
    }

    /// Stops watching and closes the ring: writers' later writes fail with `closed` (they go
    /// back to the socket) and sleeping writers wake to see it. - Returns: what the ring
    /// still held (see ``SharedRingReader/close()``).
    func stop(loop: OpaquePointer) -> SharedRingReader.Leftovers {
        wakeWatcher?.stop()
        stallTimer?.stop()
        let leftovers = reader.close()
        system_futexWakeAll(region.roomSequence)
        return leftovers
    }

    /// The next committed message, borrowed in place; `nil` when there is none yet. A claimed,
    /// uncommitted head starts the stall timer.
    @inline(__always)
    func next(loop: OpaquePointer) -> UnsafeRawBufferPointer? {
        switch reader.next() {
        case .message(let bytes):
            return bytes
        case .empty:
            return nil
        case .pending:
            if let stallTimer, !stallTimer.isActive {
                let period = unblockTimeout / 4
                stallTimer.start(after: period, repeating: period)
            }
            return nil
        }
    }

    /// `true` when a committed message waits.
    var hasMessage: Bool {
        if case .message = reader.next() { return true }
        return false
    }

    /// Messages consumed since writers waiting for room were last looked for.
    @exclusivity(unchecked) private var consumedSinceWake = 0

    /// Consumes the message ``next(loop:)`` returned; every 64 messages, wakes writers that
    /// wait for room (and ``wakeWaitingWriters()`` after a batch).
    @inline(__always)
    func consumeNext() {
        reader.consume()
        consumedSinceWake += 1
        if consumedSinceWake >= 64 { wakeWaitingWriters() }
    }

    /// Wakes writers that wait for room, when something was consumed since the last look.
    func wakeWaitingWriters() {
        guard consumedSinceWake > 0 else { return }
        consumedSinceWake = 0
        if reader.wakeWaitingWriters() { system_futexWakeAll(region.roomSequence) }
    }

    /// Before the loop sleeps on this ring: raises the flag writers wake the reader by, unless
    /// a message came meanwhile. - Returns: `false` when a message is ready (do not sleep).
    func prepareToSleep() -> Bool {
        reader.prepareToSleep()
    }

    /// Committed messages queued.
    var messageCount: Int { reader.messageCount() }

    /// `true` while records are queued, committed or still being written (a drain waits for
    /// a dead writer's record to be skipped, then for what follows it).
    var hasRecords: Bool { reader.hasRecords }
}

extension SharedMemoryReceiver {
    /// A datagram that carried a descriptor: a writer asking for the shared-memory ring, with
    /// one end of a socket pair to answer on. The answer is the ring's descriptors when
    /// the mailslot has a ring and the asker runs as this process's user (or root); otherwise
    /// the socket is closed unanswered, and the writer keeps to the socket. Never blocks.
    static func answerRingRequest(_ record: SlotRecord?, descriptor: Int32, sender: (uid: UInt32, gid: UInt32)?) {
        defer { system_close(descriptor) }
        // Who asks: the credentials the kernel put on the request (a mailslot with an access
        // list), else the maker of the socket pair it passed.
        guard let record, let sharedMemory = record.sharedMemory, let asker = sender ?? system_peerCredentials(descriptor)
        else { return }
        // A writer in the ring could scribble over it: only the creator, root, and users or
        // groups listed by name get it, never "anyone".
        let listed = !record.writers.allowsAnyone && record.writers.allows(uid: asker.uid, gid: asker.gid, creator: record.creatorUID)
        guard asker.uid == record.creatorUID || asker.uid == 0 || listed else { return }
        try? DescriptorTransfer.send(sharedMemory.region.descriptorsForWriters, over: descriptor, waiting: false)
    }
}
