import CLibEv
import Glibc
@_exported import MailslotCore
import MailslotRing
@_exported import MailslotWire

/// One single-threaded libev loop that hosts any number of mailslots.
///
/// An engine receives for every mailslot it owns: each readable event moves datagrams from the
/// kernel straight into the mailslot's ring with `recvmmsg`, in budgeted batches, then hands
/// them to the mailslot's callback or waiting readers.
///
/// The engine is not thread-safe: create it, and call every method of it and of its
/// ``MailslotServer``s, on one thread. To use it from async code on other threads, see
/// ``MailslotEngineThread``.
///
/// ```swift
/// let engine = try MailslotEngine()
/// let server = try engine.createMailslot(try MailslotName("\\\\.\\mailslot\\demo"))
/// let message = try server.readMessage()
/// ```
public final class MailslotEngine {
    /// The loop and what is the loop's alone (run, stop, tick, signals, thread hooks).
    let eventLoop: EventLoop
    /// The libev loop every watcher starts on.
    var loop: OpaquePointer { eventLoop.loop }
    let configuration: EngineConfiguration
    /// The local transport: the registry and the receive path from sockets into rings.
    let local: LocalTransport
    /// The open mailslots: records, handles and their generations, the path index.
    let table: SlotTable
    /// Waiting reads' deadlines and queued completions.
    let reads: PendingReads
    /// Gives idle rings' memory back every ``EngineConfiguration/idleSweepInterval``.
    let sweepTimer: LoopTimer
    /// Every message stream's loop-thread side (``MailslotMessages``).
    let streams: StreamHub
    /// Graceful stops and closes: the engine's drain and the mailslots that close once drained.
    let drainSchedule: DrainSchedule
    /// The host's datagram service, when this engine runs it.
    var datagramService: DatagramService?
    /// The service's counters once it stopped.
    var stoppedDatagramStatistics: DatagramStatistics?
    /// Warnings, rate-limited per kind.
    let log: RateLimitedLog
    /// Counters and gauges, when there is a metrics backend.
    let metrics: EngineMetrics?

    /// Traffic and drop counters summed over every mailslot this engine has had, open or closed.
    public var statistics: MailslotStatistics { table.statistics }

    /// Open mailslots in this engine.
    public var mailslotCount: Int { table.openCount }

    /// The last failed receive call of a mailslot's socket, for reports.
    public var lastReceiveError: SyscallError? { local.lastReceiveError }

    /// Makes an engine with its own libev loop.
    /// - Throws: ``/MailslotCore/MailslotError/systemLimit(syscall:errno:)`` when libev cannot make a loop.
    public init(configuration: EngineConfiguration = EngineConfiguration()) throws(MailslotError) {
        guard let eventLoop = EventLoop() else { throw .systemLimit(syscall: "ev_loop_new", errno: 0) }
        self.eventLoop = eventLoop
        let loop = eventLoop.loop
        self.configuration = configuration
        self.table = SlotTable(ringMemoryLimit: configuration.ringMemoryLimit)
        let log = RateLimitedLog(logger: configuration.logger, interval: configuration.logInterval)
        self.log = log
        self.local = LocalTransport(configuration: configuration, log: log)
        self.metrics = EngineMetrics.make(configuration.metricsFactory)
        self.reads = PendingReads(loop: loop) { MailslotEngine.from(loop).expireWaiters() }
        self.streams = StreamHub(loop: loop) { MailslotEngine.from(loop).flushStreams() }
        self.drainSchedule = DrainSchedule(loop: loop) { MailslotEngine.from(loop).checkDrain() }
        self.sweepTimer = LoopTimer(loop: loop) {
            let engine = MailslotEngine.from(loop)
            engine.sweepIdleRings()
            engine.reportMetrics()
        }
        let interval = configuration.idleSweepInterval
        system_raiseOpenFileLimit(wanted: configuration.wantedOpenFiles)
        ev_set_userdata(loop, Unmanaged.passUnretained(self).toOpaque())
        // Also keeps the loop from spinning when every mailslot is paused (push-back).
        if interval > 0 { sweepTimer.start(after: interval, repeating: interval) }
    }

    deinit {
        table.forEachOpen { index, _ in closeSlot(index: index) }
        stopDatagramService()
        // Every watcher stops before the loop goes (the timers free their memory after).
        sweepTimer.stop()
        reads.stop()
        drainSchedule.stop()
        streams.stop()
        eventLoop.destroy()
    }

    /// The engine whose loop this is (the loop's user data, an unretained pointer whose lifetime
    /// encloses every `ev_run`).
    static func from(_ loop: OpaquePointer) -> MailslotEngine {
        Unmanaged<MailslotEngine>.fromOpaque(ev_userdata(loop)!).takeUnretainedValue()
    }

    // MARK: Running the loop

    /// Runs the loop until ``stop()`` is called, serving every mailslot's callbacks and waiters.
    ///
    /// A ``stop()`` that came before `run()` (say, from a read that completed at once) makes
    /// it return immediately; the request is cleared on return, so a later `run()` runs again.
    ///
    /// Before returning it sends what this host's writers left in the datagram service's outbox
    /// (a reply written just before ``stop()``, say), so stopping loses no outgoing datagram.
    public func run() {
        eventLoop.run()
        flushOutbox()
    }

    /// Runs the loop until `done` returns `true`, asking it every `interval` seconds (a repeating
    /// timer: no cost per event), or until ``stop()``.
    public func run(checkingEvery interval: Double, until done: @escaping () -> Bool) {
        eventLoop.run(checkingEvery: interval, until: done) { run() }
    }

    /// Runs one loop iteration, waiting at most `seconds` for an event (`nil`: until one comes).
    public func runOnce(timeout seconds: Double?) {
        if let seconds {
            reads.wake(after: seconds)
            ev_run(loop, Int32(EVRUN_ONCE))
            reads.arm(now: system_monotonicSeconds())
        } else {
            ev_run(loop, Int32(EVRUN_ONCE))
        }
    }

    /// Makes ``run()`` return after the current iteration (or at once, if it is not running
    /// yet). Call it on the loop thread.
    public func stop() {
        eventLoop.stop()
    }

    // MARK: Creating mailslots

    /// Creates a mailslot (Win32 `CreateMailslot`).
    ///
    /// - Parameters:
    ///   - name: a local name, `\\.\mailslot\[path\]name`.
    ///   - maxMessageSize: the largest message writers may send; `0` (or `0xFFFFFFFF`) means
    ///     any size up to ``/MailslotCore/MessageSizeLimit/local``; a value above that limit is
    ///     refused (``/MailslotCore/MailslotError/invalidParameter(_:)``) rather than cut.
    ///   - readTimeout: how long reads wait on an empty mailslot.
    ///   - sharedMemoryBytes: `0` (the default): writers send by socket. Above 0: the mailslot
    ///     also offers a shared-memory ring of at least this many bytes (rounded up to a power
    ///     of two, at least 64 KiB and eight largest messages), which writers running as this
    ///     user (or root) map and write into with no system call per message; see
    ///     `docs/architecture.md`.
    ///   - writers: who may write (`nil`: ``EngineConfiguration/writers``, by default anyone).
    /// - Throws: ``/MailslotCore/MailslotError/alreadyExists(_:)`` when a live mailslot has the name, in this
    ///   process or another; ``/MailslotCore/MailslotError/invalidName(_:)`` for a remote name;
    ///   ``/MailslotCore/MailslotError/systemLimit(syscall:errno:)`` when descriptors or memory run out.
    public func createMailslot(
        _ name: MailslotName, maxMessageSize: UInt32 = 0, readTimeout: ReadTimeout = .forever, sharedMemoryBytes: Int = 0,
        writers: WriterAccess? = nil
    ) throws(MailslotError) -> MailslotServer {
        guard name.scope == .local else { throw .invalidName(.notLocal) }
        guard MessageSizeLimit.isValidMaximum(maxMessageSize) else {
            throw .invalidParameter(
                "a maximum message size of \(maxMessageSize) bytes is above the local limit of \(MessageSizeLimit.local) "
                    + "(0 or 0xFFFFFFFF: up to the limit)")
        }
        let writers = writers ?? configuration.writers
        guard sharedMemoryBytes >= 0, sharedMemoryBytes <= 1 << 32 else {
            throw .invalidParameter("shared memory of \(sharedMemoryBytes) bytes (0 to 4 GiB)")
        }
        var sharedMemory: SharedMemoryReceiver?
        if sharedMemoryBytes > 0 {
            do {
                sharedMemory = try SharedMemoryReceiver(
                    bytes: sharedMemoryBytes, maxMessage: MessageSizeLimit.effective(maxMessageSize), configuration: configuration)
            } catch {
                throw error.mailslotError
            }
        }
        if let problem = local.registry.problem { throw .accessDenied(problem.description) }
        let endpoint = LocalEndpoint(name)
        // Owned until the slot takes it: a failure below closes it (and frees the name).
        let socket: Descriptor
        let inode: UInt64
        do {
            socket = Descriptor(owning: try system_socket(domain: AF_UNIX, type: Int32(SOCK_DGRAM.rawValue)))
        } catch {
            throw error.mailslotError
        }
        do {
            // The kernel then attaches each writer's uid and gid to its messages: the access
            // check cannot be forged.
            if !writers.allowsAnyone { try system_setsockopt(socket.rawValue, level: SOL_SOCKET, name: SO_PASSCRED, value: 1) }
            try system_bind(socket.rawValue, endpoint.address)
            inode = try system_fstat(socket.rawValue).inode
        } catch {
            if error.errno == EADDRINUSE { throw .alreadyExists(name.fullName) }
            throw error.mailslotError
        }
        // Bound first, published second: any file at the name is stale or planted, and is
        // replaced in one rename.
        let entry = RegistryEntry(
            name: name.fullName, maxMessageSize: maxMessageSize, creatorPID: system_getpid(), endpoint: endpoint,
            sharedMemoryBytes: sharedMemory?.reader.capacity ?? 0, socketInode: inode, writers: writers)
        let published: UInt64
        do { published = try local.registry.publish(entry) } catch {
            throw error
        }
        return register(
            name: name, fd: socket.release(), maxMessageSize: maxMessageSize, readTimeout: readTimeout, sharedMemory: sharedMemory,
            writers: writers, publishedEntry: published)
    }

    /// Creates a mailslot from a name's text (short form `x` or any full local form).
    /// - Throws: as ``createMailslot(_:maxMessageSize:readTimeout:sharedMemoryBytes:writers:)``, and
    ///   ``/MailslotCore/MailslotError/invalidName(_:)`` for a bad name.
    public func createMailslot(
        named text: String, maxMessageSize: UInt32 = 0, readTimeout: ReadTimeout = .forever, sharedMemoryBytes: Int = 0,
        writers: WriterAccess? = nil
    ) throws(MailslotError) -> MailslotServer {
        let name: MailslotName
        do { name = try MailslotName(text) } catch { throw .invalidName(error) }
        return try createMailslot(
            name, maxMessageSize: maxMessageSize, readTimeout: readTimeout, sharedMemoryBytes: sharedMemoryBytes, writers: writers)
    }

    func register(
        name: MailslotName, fd: Int32, maxMessageSize: UInt32, readTimeout: ReadTimeout, sharedMemory: SharedMemoryReceiver? = nil,
        writers: WriterAccess, creatorUID: UInt32? = nil, publishedEntry: UInt64? = nil
    ) -> MailslotServer {
        let (index, generation) = table.reserve()
        let record = SlotRecord(
            name: name, fd: fd, loop: loop, index: index, generation: generation, maxMessageSize: maxMessageSize,
            readTimeout: readTimeout, configuration: configuration, budget: table.ringBudget, sharedMemory: sharedMemory,
            writers: writers, creatorUID: creatorUID, publishedEntry: publishedEntry)
        record.watcher.start()
        sharedMemory?.start(loop: loop, index: index)
        table.insert(record, at: index)
        return MailslotServer(engine: self, handle: SlotHandle(index: index, generation: record.generation))
    }

    /// Sweeps a ring must stay idle (empty, nothing received) before its storage is freed: a
    /// mailslot used now and then keeps its ring, so freeing and allocating again does not
    /// churn (and fragment) the heap.
    static let idleSweepsBeforeRelease = 5

    /// Gives memory back: a ring that stayed empty and received nothing for
    /// ``idleSweepsBeforeRelease`` sweeps is freed; a ring that used under a quarter of its
    /// storage shrinks to twice what it used (and never below one receive claim).
    func sweepIdleRings() {
        table.forEachOpen { _, record in
            defer {
                record.receivedAtSweep = record.statistics.received
                record.ring.resetHighWater()
            }
            guard !record.ring.isPinned, record.ring.allocatedBytes > 0 else { return }
            let idle = record.ring.isEmpty && record.statistics.received == record.receivedAtSweep
            record.idleSweeps = idle ? record.idleSweeps + 1 : 0
            if idle {
                if record.idleSweeps >= Self.idleSweepsBeforeRelease { record.ring.releaseStorageIfEmpty() }
            } else if record.ring.highWater * 4 < record.ring.allocatedBytes {
                let claimBytes = LocalTransport.minimumClaimSlots * RingDescriptor.footprint(payload: record.sizeEstimate.bytes)
                record.ring.shrink(toFit: max(record.ring.highWater * 2, claimBytes))
            }
        }
    }
}
