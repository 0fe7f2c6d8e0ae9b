import Glibc
import Synchronization

/// A mailslot server that any thread may use: the C library's server handle.
///
/// It owns an engine of its own, so reads of different mailslots on different threads never
/// meet. A read holds the lock only while it looks (ring, kernel queue, shared memory, one
/// non-blocking turn of the loop) and waits without it, in `poll` on the mailslot's own
/// descriptors, so another thread may ask for ``info()``, set the timeout or close meanwhile.
/// The reading thread receives for itself: no thread hands it a message. While no reader is in
/// a call, the process's ``KernelQueueDrain`` moves arrivals into the ring, so writers are
/// refused only when the ring is full, never at the kernel's ten-datagram queue.
///
/// ``descriptor()`` gives a descriptor readable while a message is queued (or may be: a
/// datagram the kernel holds counts until a look finds it refused), so the server fits a
/// program's own `poll`/`epoll` loop, as an `mqd_t` does.
///
/// After `fork()` the child cannot use a server its parent created (``isInCreatingProcess``):
/// it would steal the parent's messages. Closing it in the child closes the child's copy of the
/// socket (so the name dies with the parent) and leaves the parent's registry entry and epoll
/// sets alone.
package final class ConcurrentMailslotServer: @unchecked Sendable {
    private struct Parts {
        var engine: MailslotEngine?
        var server: MailslotServer?
        /// The Win32 read timeout, verbatim (`0xFFFFFFFF`: forever).
        var readTimeout: UInt32
        /// The descriptor ``descriptor()`` hands out, made on first request.
        var readiness: ReadinessDescriptor?
    }

    private let parts: ThreadLock<Parts>
    /// Set by ``close()``: wakes reads waiting on other threads.
    private let closing: WaitableFlag
    /// What a waiting read polls: the socket, the shared-memory wake, and ``closing``.
    private let waitDescriptors: [Int32]
    /// The longest wait between looks when a shared-memory ring needs the loop's stall timer.
    private let longestWait: Int?
    private let creatorGeneration = ForkGeneration.current
    /// The socket, which a forked child closes and the drain watches.
    private let socketFD: Int32
    /// Readers inside ``read(into:timeoutMilliseconds:)`` now.
    private let activeReaders = Atomic(0)
    /// Reads begun so far (the drain tells a reader at work from a quiet one by it).
    private let readsBegun = Atomic<UInt64>(0)
    private var drainTag: UInt64 = 0

    /// Creates the mailslot on an engine of its own (see
    /// ``MailslotEngine/createMailslot(_:maxMessageSize:readTimeout:sharedMemoryBytes:writers:)``).
    package init(
        name: MailslotName, maxMessageSize: UInt32, readTimeout: UInt32, sharedMemoryBytes: Int, writers: WriterAccess?,
        configuration: EngineConfiguration
    ) throws(MailslotError) {
        let engine = try MailslotEngine(configuration: configuration)
        // Reads never wait inside the engine: this type waits, without the lock.
        let server = try engine.createMailslot(
            name, maxMessageSize: maxMessageSize, readTimeout: .immediate, sharedMemoryBytes: sharedMemoryBytes, writers: writers)
        closing = try WaitableFlag()
        let arrivals = server.arrivalDescriptors
        socketFD = arrivals[0]
        waitDescriptors = arrivals + [closing.descriptor]
        longestWait = sharedMemoryBytes > 0 ? Int(configuration.sharedMemoryUnblockTimeout * 1000) : nil
        parts = ThreadLock(Parts(engine: engine, server: server, readTimeout: readTimeout))
        do {
            drainTag = try KernelQueueDrain.shared().watch(socketFD, for: self)
        } catch {
            server.close()
            throw error
        }
    }

    deinit {
        if isInCreatingProcess { close() } else { abandonInChild() }
    }

    /// `false` in a child process forked after the server was created.
    package var isInCreatingProcess: Bool { ForkGeneration.current == creatorGeneration }

    private enum Look {
        case done(Int)
        case failed(MailslotError)
        case empty
    }

    /// Reads one whole message into `buffer` (Win32 `ReadFile`).
    /// - Parameter timeoutMilliseconds: the wait on an empty mailslot; `nil`: the read timeout.
    ///   `0xFFFFFFFF` waits as long as it takes.
    /// - Throws: ``/MailslotCore/MailslotError/timeout``;
    ///   ``/MailslotCore/MailslotError/insufficientBuffer(needed:available:)`` (the message stays);
    ///   ``/MailslotCore/MailslotError/invalidHandle`` once closed;
    ///   ``/MailslotCore/MailslotError/operationAborted(_:)`` when another thread closed it during the wait.
    package func read(into buffer: UnsafeMutableRawBufferPointer, timeoutMilliseconds: UInt32? = nil) throws(MailslotError) -> Int {
        guard isInCreatingProcess else { throw .invalidHandle }
        activeReaders.add(1, ordering: .relaxed)
        readsBegun.add(1, ordering: .relaxed)
        defer { activeReaders.subtract(1, ordering: .relaxed) }
        var deadline: Int64?
        var waited = false
        while true {
            let look: Look = parts.withLock { parts in
                guard let engine = parts.engine, let server = parts.server else {
                    return .failed(waited ? .operationAborted("the mailslot was closed during the read") : .invalidHandle)
                }
                if !waited {
                    let timeout = timeoutMilliseconds ?? parts.readTimeout
                    if timeout != ReadTimeout.win32Forever { deadline = monotonicMilliseconds() + Int64(timeout) }
                }
                var look = Self.look(server, into: buffer)
                if case .empty = look {
                    // The loop's turn: the shared-memory wake, timers (a stalled writer's claim).
                    engine.runOnce(timeout: 0)
                    look = Self.look(server, into: buffer)
                }
                Self.syncReadiness(parts, engine, server)
                return look
            }
            switch look {
            case .done(let length): return length
            case .failed(let error): throw error
            case .empty: break
            }
            try wait(until: deadline)
            waited = true
        }
    }

    private static func look(_ server: MailslotServer, into buffer: UnsafeMutableRawBufferPointer) -> Look {
        do { return .done(try server.read(into: buffer)) } catch {
            if case .timeout = error { return .empty }
            return .failed(error)
        }
    }

    /// Sleeps until a message may have come, the server closes, or `deadline` passes.
    private func wait(until deadline: Int64?) throws(MailslotError) {
        var remaining: Int?
        if let deadline {
            remaining = Int(deadline - monotonicMilliseconds())
            if remaining! <= 0 { throw .timeout }
        }
        if let longestWait { remaining = min(remaining ?? longestWait, longestWait) }
        _ = waitForReadable(waitDescriptors, timeoutMilliseconds: remaining)
    }

    /// Readers inside a read now (for the drain).
    var activeReaderCount: Int { activeReaders.load(ordering: .relaxed) }

    /// Reads begun so far (for the drain).
    var readCount: UInt64 { readsBegun.load(ordering: .relaxed) }

    /// The drain's turn: moves what the kernel holds into the ring.
    /// - Returns: `false` while the ring is full (the kernel still holds some), or the server
    ///   is closed: the drain keeps looking.
    func drain() -> Bool {
        parts.withLock { parts in
            guard let engine = parts.engine, let server = parts.server else { return false }
            engine.runOnce(timeout: 0)
            server.receivePending()
            Self.syncReadiness(parts, engine, server)
            return !server.isReceivePaused
        }
    }

    /// Brings the readiness descriptor (when one was asked for) in step: set while a message is
    /// queued; clear otherwise, with the shared-memory wake consumed and writers asked to signal
    /// the next message, so it is exact rather than merely "look again".
    private static func syncReadiness(_ parts: Parts, _ engine: MailslotEngine, _ server: MailslotServer) {
        guard let readiness = parts.readiness else { return }
        if !server.hasQueuedMessage {
            engine.runOnce(timeout: 0)
            _ = server.prepareToWait()
        }
        readiness.update(server.hasQueuedMessage)
    }

    /// What `GetMailslotInfo` reports, counting what the kernel holds.
    package func info() throws(MailslotError) -> MailslotInfo {
        guard isInCreatingProcess else { throw .invalidHandle }
        let result: Result<MailslotInfo, MailslotError> = parts.withLock { parts in
            guard let server = parts.server else { return .failure(.invalidHandle) }
            return Result { () throws(MailslotError) in
                var info = try server.info()
                info.readTimeout = ReadTimeout(win32: parts.readTimeout)
                parts.readiness?.update(info.messageCount > 0)
                return info
            }
        }
        return try result.get()
    }

    /// Sets the read timeout (Win32 `SetMailslotInfo`), kept verbatim.
    package func setReadTimeout(_ milliseconds: UInt32) throws(MailslotError) {
        guard isInCreatingProcess else { throw .invalidHandle }
        let open = parts.withLock { parts in
            guard parts.server != nil else { return false }
            parts.readTimeout = milliseconds
            return true
        }
        guard open else { throw .invalidHandle }
    }

    /// A descriptor readable while a message is queued, made on the first call (an epoll set
    /// of the socket, the shared-memory wake and a flag kept in step with the ring). Valid
    /// until this object goes.
    package func descriptor() throws(MailslotError) -> Int32 {
        guard isInCreatingProcess else { throw .invalidHandle }
        let result: Result<Int32, MailslotError> = parts.withLock { parts in
            guard let server = parts.server else { return .failure(.invalidHandle) }
            if let readiness = parts.readiness { return .success(readiness.descriptor) }
            return Result { () throws(MailslotError) in
                let readiness = try ReadinessDescriptor(watching: server.arrivalDescriptors)
                parts.readiness = readiness
                if let engine = parts.engine { Self.syncReadiness(parts, engine, server) }
                return readiness.descriptor
            }
        }
        return try result.get()
    }

    /// `true` when a message is queued now (one non-blocking look).
    package func hasMessage() throws(MailslotError) -> Bool {
        guard isInCreatingProcess else { throw .invalidHandle }
        let result: Result<Bool, MailslotError> = parts.withLock { parts in
            guard let engine = parts.engine, let server = parts.server else { return .failure(.invalidHandle) }
            engine.runOnce(timeout: 0)
            let count = (try? server.info().messageCount) ?? 0
            // A shared-memory message that came while the flag went up is one to report.
            let queued = count > 0 || !server.prepareToWait()
            Self.syncReadiness(parts, engine, server)
            return .success(queued)
        }
        return try result.get()
    }

    /// Closes the mailslot: unread messages are dropped and the name is free at once. Reads
    /// waiting on other threads fail as aborted. Idempotent.
    package func close() {
        guard isInCreatingProcess else { return abandonInChild() }
        let taken = parts.withLock { parts in
            defer { parts.engine = nil; parts.server = nil }
            return (parts.engine, parts.server)
        }
        guard let engine = taken.0, let server = taken.1 else { return }
        (try? KernelQueueDrain.shared())?.unwatch(drainTag, fd: socketFD)
        closing.set()
        server.close()
        _ = engine  // the engine goes here, on this thread, with no other user left
    }

    /// In a forked child: closes the child's copy of the socket (the name must die with its
    /// creator) and never runs the engine's teardown, which would unpublish the parent's
    /// registry entry and edit epoll sets the parent shares.
    private func abandonInChild() {
        let taken = parts.withLock { parts in
            defer { parts.engine = nil; parts.server = nil }
            return (parts.engine, parts.server)
        }
        guard let engine = taken.0, let server = taken.1 else { return }
        system_close(socketFD)
        _ = Unmanaged.passRetained(engine)
        _ = Unmanaged.passRetained(server)
    }
}
