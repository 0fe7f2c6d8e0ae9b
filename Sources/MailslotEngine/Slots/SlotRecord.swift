import CLibEv
import MailslotCore
import MailslotRing

/// The engine's state for one open mailslot server handle.
///
/// Fields touched for every message are `@exclusivity(unchecked)`: the engine is
/// single-threaded and its re-entrancy rules (pinning, `borrowed`, `delivering`) are what keep
/// their accesses apart; the run-time check cost more than the rest of a shared-memory read.
final class SlotRecord {
    // The fields read for every message come first, in declaration order (Swift lays a class
    // out that way): the callbacks, the flags and the waiting-read count share the object's
    // first cache line, then the ring's counts and the statistics. Over thousands of mailslots
    // each message then touches three lines of its record, not five.
    /// The loop-thread callback that takes every message, borrowed, with its origin.
    @exclusivity(unchecked) var handler: ((RawSpan, MessageOrigin?) -> Void)?
    /// The callback when it takes the bytes alone (``MailslotServer/onMessage(_:)``): called
    /// without looking up an origin.
    @exclusivity(unchecked) var bytesHandler: ((RawSpan) -> Void)?
    /// `false` once the slot is closed (cheaper than looking the slot up again after every
    /// callback, which may close it).
    @exclusivity(unchecked) var isOpen = true
    /// `true` while a callback or a `withNextMessage` body holds the next message, pinned.
    @exclusivity(unchecked) var borrowed = false
    /// `true` while ``MailslotEngine/deliver(_:)`` runs for this slot: a read queued from a
    /// completion is then served by that loop instead of a nested one (no recursion).
    @exclusivity(unchecked) var delivering = false
    /// `true` when the message last pinned came from the shared-memory ring.
    @exclusivity(unchecked) var pinnedFromSharedMemory = false
    /// Bumped whenever the callback changes: a delivery loop holding the callback sees it.
    @exclusivity(unchecked) var handlerGeneration: UInt32 = 0
    /// Waiting reads not yet finished.
    @exclusivity(unchecked) var liveWaiters: Int32 = 0
    /// CreateMailslot's nMaxMessageSize (0: any size up to the transport's limit).
    let maxMessageSize: UInt32
    /// The messages that came by socket (or from the network), queued in place.
    @exclusivity(unchecked) var ring: DatagramRing
    /// Counters since the mailslot was created.
    @exclusivity(unchecked) var statistics = MailslotStatistics()
    /// Who may write (checked per message when not ``/MailslotCore/WriterAccess/anyone``).
    let writers: WriterAccess
    /// The uid that created the mailslot: it may always write.
    let creatorUID: UInt32
    /// The inode of the registry entry this process published, withdrawn at close.
    let publishedEntry: UInt64?
    let name: MailslotName
    let endpoint: LocalEndpoint
    let fd: Int32
    let generation: UInt32
    var readTimeout: ReadTimeout
    /// The socket's watcher (readable: ``MailslotEngine/handleReadable(index:)``).
    let watcher: LoopIO
    /// `true` while the watcher is stopped because the ring cannot take a batch (back-pressure).
    var paused = false
    /// Payload bytes reserved per batch slot: follows the sizes seen (see ``SizeEstimate``).
    var sizeEstimate: SizeEstimate
    /// Origins of queued messages from other computers, oldest first, keyed by message number
    /// (the count of messages queued before it). Local messages have none, so this stays empty
    /// on a purely local mailslot; it never holds more entries than the ring holds messages.
    @exclusivity(unchecked) var origins = FIFOQueue<(number: UInt64, origin: MessageOrigin)>()
    /// Reads waiting for a message, oldest first (finished ones are skipped when popped).
    var waiters = FIFOQueue<PendingRead>()
    /// `true` once the handle may be held by another process too (passed, inherited or
    /// adopted): closing it then leaves the kernel queue to them.
    var handleMayBeHeldElsewhere = false
    /// ``/MailslotCore/MailslotStatistics/sharedMemoryResets`` when last reported in the log.
    var reportedResets: UInt64 = 0
    /// `received` at the last idle sweep (a ring that received nothing since is idle).
    var receivedAtSweep: UInt64 = 0
    /// Sweeps in a row that found the ring idle.
    var idleSweeps = 0
    /// The shared-memory ring, when the server offered one (see ``SharedMemoryReceiver``).
    /// A `let`: reading it for every message costs no reference counting.
    let sharedMemory: SharedMemoryReceiver?
    /// The same, for the per-message path: borrowed without reference counting
    /// (``sharedMemory`` keeps it alive for the record's life).
    private let sharedMemoryBorrowed: Unmanaged<SharedMemoryReceiver>?
    /// Messages the socket ring queued and gave up so far: the numbering ``origins`` is keyed
    /// by (shared-memory messages are local and have none).
    @exclusivity(unchecked) var ringQueued: UInt64 = 0
    @exclusivity(unchecked) var ringConsumed: UInt64 = 0

    init(
        name: MailslotName, fd: Int32, loop: OpaquePointer, index: Int, generation: UInt32, maxMessageSize: UInt32,
        readTimeout: ReadTimeout, configuration: EngineConfiguration, budget: RingMemoryBudget,
        sharedMemory: SharedMemoryReceiver? = nil, writers: WriterAccess = .anyone, creatorUID: UInt32? = nil,
        publishedEntry: UInt64? = nil
    ) {
        self.writers = writers
        self.creatorUID = creatorUID ?? system_effectiveIDs().uid
        self.publishedEntry = publishedEntry
        self.sharedMemory = sharedMemory
        self.sharedMemoryBorrowed = sharedMemory.map { Unmanaged.passUnretained($0) }
        self.name = name
        self.endpoint = LocalEndpoint(name)
        self.fd = fd
        self.generation = generation
        self.maxMessageSize = maxMessageSize
        self.readTimeout = readTimeout.normalized
        let limit = MessageSizeLimit.effective(maxMessageSize)
        // The quota holds at least a few largest messages. The overdraft is one batch of them:
        // what a receive may have to keep when its datagrams outgrow the size estimate while
        // the ring is nearly full (push-back never drops what it took from the kernel).
        let largest = RingDescriptor.footprint(payload: limit)
        let quota = max(configuration.ringQuota, 4 * largest)
        self.ring = DatagramRing(
            quota: quota, initialCapacity: configuration.ringInitialCapacity, budget: budget,
            overdraft: configuration.whenRingFull == .pushBack ? max(1, configuration.batchSize) * largest : 0)
        self.sizeEstimate = SizeEstimate(limit: limit)
        self.watcher = LoopIO(loop: loop, fd: fd, tag: index) { loop, index in
            MailslotEngine.from(loop).handleReadable(index: index)
        }
    }

    var limit: Int { MessageSizeLimit.effective(maxMessageSize) }

    /// The origin of the pinned message, if it came from another computer.
    var nextOrigin: MessageOrigin? {
        guard !pinnedFromSharedMemory, let first = origins.first, first.number == ringConsumed else { return nil }
        return first.origin
    }

    /// Sets (or clears) the callback; `bytesOnly` when it takes no origin.
    func setHandler(_ handler: ((RawSpan, MessageOrigin?) -> Void)?, bytesOnly: ((RawSpan) -> Void)?) {
        self.handler = handler
        bytesHandler = bytesOnly
        handlerGeneration &+= 1
    }

    /// The counters as a caller sees them: ``statistics`` with the shared-memory ring's reset
    /// counts, which the ring's reader keeps (one owner, read here, not copied per message).
    var currentStatistics: MailslotStatistics {
        guard let sharedMemory else { return statistics }
        var current = statistics
        current.sharedMemoryResets = sharedMemory.reader.resets
        current.drops.ringResetEstimated = sharedMemory.reader.lostInResets
        return current
    }

    /// Counts `count` messages the socket ring just queued.
    func noteQueued(_ count: UInt64) {
        statistics.received &+= count
        ringQueued &+= count
    }

    /// Pins the next message: the socket ring's first (what came by socket is read first),
    /// else the shared-memory ring's. It stays in place until ``unpin()`` and ``consumeNext(bytes:)``.
    @inline(__always)
    func pinNext(loop: OpaquePointer) -> UnsafeRawBufferPointer? {
        if let bytes = ring.pinNext() {
            pinnedFromSharedMemory = false
            return bytes
        }
        guard let sharedMemoryBorrowed else { return nil }
        let bytes = sharedMemoryBorrowed._withUnsafeGuaranteedRef { $0.next(loop: loop) }
        pinnedFromSharedMemory = bytes != nil
        return bytes
    }

    /// Releases the pin of ``pinNext(loop:)`` (the message stays queued).
    @inline(__always)
    func unpin() {
        if !pinnedFromSharedMemory { ring.unpin() }
    }

    /// Consumes the message ``pinNext(loop:)`` returned (`bytes` long): frees its space and
    /// counts it delivered.
    @inline(__always)
    func consumeNext(bytes: Int) {
        statistics.deliveredBytes &+= UInt64(bytes)
        if pinnedFromSharedMemory {
            sharedMemoryBorrowed?._withUnsafeGuaranteedRef { $0.consumeNext() }
            statistics.received &+= 1
            statistics.receivedThroughSharedMemory &+= 1
            pinnedFromSharedMemory = false
        } else {
            ring.consumeNext()
            if let first = origins.first, first.number == ringConsumed { origins.popFirst() }
            ringConsumed &+= 1
        }
        statistics.delivered &+= 1
    }

    /// Whether a message from another computer may skip the ring and go straight to the
    /// callback: one is set, nothing is queued before it (order), and no callback or
    /// `withNextMessage` body holds a message, nor a delivery loop runs (no re-entry).
    var takesDirectly: Bool { handler != nil && ring.isEmpty && !borrowed && !delivering && isOpen }

    /// Queues a message from another computer (a copy from the datagram service's buffer).
    /// - Returns: `false`, counting the drop by cause, when the ring has no room.
    func appendRemote(_ bytes: UnsafeRawBufferPointer, origin: MessageOrigin) -> Bool {
        guard bytes.count <= limit else {
            statistics.drops.oversize &+= 1
            return false
        }
        guard ring.append(bytes) else {
            countRingFull()
            return false
        }
        origins.append((ringQueued, origin))
        noteQueued(1)
        return true
    }

    /// Counts a message the ring could not take: the mailslot's quota, or the engine's cap.
    func countRingFull() {
        // Below its quota and not pinned, a ring fails to claim only when the budget refused
        // to let it grow.
        if ring.allocatedBytes < ring.quota, !ring.isPinned {
            statistics.drops.engineMemoryFull &+= 1
        } else {
            statistics.drops.queueFull &+= 1
        }
    }

    /// Takes the waiting read that is served next, skipping finished ones.
    func popLiveWaiter() -> PendingRead? {
        while let waiter = waiters.popFirst() {
            if waiter.isPending { return waiter }
        }
        return nil
    }

    var info: MailslotInfo {
        var nextSize = ring.nextMessageLength
        if nextSize == nil, let sharedMemory, case .message(let bytes) = sharedMemory.reader.next() { nextSize = bytes.count }
        return MailslotInfo(
            maxMessageSize: maxMessageSize, nextMessageSize: nextSize,
            messageCount: ring.messageCount + (sharedMemory?.messageCount ?? 0), readTimeout: readTimeout)
    }
}

/// A read that waits on the loop for the next message (the async and callback read paths).
/// Touched only on the loop thread; other threads (a cancelled task) only carry it back there.
final class PendingRead: @unchecked Sendable {
    typealias Completion = (Result<([UInt8], MessageOrigin?), MailslotError>) -> Void

    /// Monotonic seconds after which the read fails with a timeout; `nil` waits forever.
    let deadline: Double?
    /// The mailslot it reads.
    let slot: SlotHandle
    private var completion: Completion?
    private var decided = false

    init(deadline: Double?, slot: SlotHandle, completion: @escaping Completion) {
        self.deadline = deadline
        self.slot = slot
        self.completion = completion
    }

    /// `true` until the read's outcome is decided (a message, an error or a timeout).
    var isPending: Bool { !decided }

    /// Decides the outcome now (it may run later). - Returns: `false` when it was decided.
    func decide() -> Bool {
        guard !decided else { return false }
        decided = true
        return true
    }

    /// Runs the completion once; later calls do nothing.
    func finish(_ result: Result<([UInt8], MessageOrigin?), MailslotError>) {
        guard let completion else { return }
        self.completion = nil
        completion(result)
    }
}
