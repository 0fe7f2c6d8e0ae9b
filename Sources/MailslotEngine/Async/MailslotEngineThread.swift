import CLibEv
import Glibc
import MailslotCore

/// A ``MailslotEngine`` running on its own thread, for async/await callers on any thread.
///
/// Work reaches the loop through one `ev_async` watcher (coalesced, thread-safe) and a
/// mutex-guarded job list: the only cross-thread entry into the engine.
///
/// ```swift
/// let thread = try MailslotEngineThread()
/// let slot = try await thread.createMailslot(named: "\\\\.\\mailslot\\jobs")
/// for await message in try await slot.messages() { handle(message.bytes) }
/// await thread.shutdown()
/// ```
///
/// Shutting down is safe from any task, any number of times: ``shutdown()`` stops the loop,
/// closes every mailslot (pending reads fail with ``/MailslotCore/MailslotError/operationAborted(_:)``, streams
/// finish) and returns once the thread has ended, without blocking a thread while it waits.
/// Anything asked of the thread after that fails at once with
/// ``/MailslotCore/MailslotError/operationAborted(_:)``. Dropping the last reference shuts it down too.
public final class MailslotEngineThread: Sendable {
    let core: EngineThreadCore

    /// Starts the engine thread.
    /// - Throws: ``/MailslotCore/MailslotError/systemLimit(syscall:errno:)`` when the thread or loop cannot start.
    public init(configuration: EngineConfiguration = EngineConfiguration()) throws(MailslotError) {
        core = try EngineThreadCore(configuration: configuration)
    }

    deinit {
        core.requestStop()
    }

    /// Runs `job` on the engine thread, soon.
    /// - Returns: `false` when the thread has shut down (the job does not run).
    @discardableResult
    public func execute(_ job: @escaping @Sendable (MailslotEngine) -> Void) -> Bool {
        core.submit(EngineThreadCore.Job(run: job, abort: {}))
    }

    /// Runs `body` on the engine thread and returns its result.
    /// - Throws: ``/MailslotCore/MailslotError/operationAborted(_:)`` when the thread has shut down, or shuts
    ///   down before `body` runs.
    public func run<T: Sendable>(_ body: @escaping @Sendable (MailslotEngine) -> T) async throws(MailslotError) -> T {
        let result: Result<T, MailslotError> = await withCheckedContinuation { continuation in
            let job = EngineThreadCore.Job(
                run: { engine in continuation.resume(returning: .success(body(engine))) },
                abort: { continuation.resume(returning: .failure(EngineThreadCore.stopped)) })
            if !core.submit(job) { job.abort() }
        }
        return try result.get()
    }

    /// Creates a mailslot on the engine thread (Win32 `CreateMailslot`).
    /// - Throws: as ``MailslotEngine/createMailslot(_:maxMessageSize:readTimeout:sharedMemoryBytes:writers:)``,
    ///   and ``/MailslotCore/MailslotError/operationAborted(_:)`` after shutdown.
    public func createMailslot(
        named text: String, maxMessageSize: UInt32 = 0, readTimeout: ReadTimeout = .forever, writers: WriterAccess? = nil
    ) async throws(MailslotError) -> AsyncMailslotServer {
        let result: Result<SlotHandle, MailslotError> = try await run { engine in
            Result { () throws(MailslotError) in
                let server = try engine.createMailslot(
                    named: text, maxMessageSize: maxMessageSize, readTimeout: readTimeout, writers: writers)
                engine.retainForThread(server)
                return server.handle
            }
        }
        return AsyncMailslotServer(thread: self, handle: try result.get())
    }

    /// Stops the loop, closes every mailslot and waits (asleep) until the thread has ended.
    /// Idempotent: every caller returns once the thread is gone.
    public func shutdown() async {
        core.requestStop()
        await core.waitUntilStopped()
    }

    /// Shuts down gracefully: what the mailslots already received is delivered first (to their
    /// callbacks, reads and streams), for at most `bound`; then as ``shutdown()``. See
    /// ``MailslotEngine/stopWhenDrained(within:)`` for what counts as delivered.
    public func shutdown(drainingWithin bound: Duration) async {
        requestStop(drainingWithin: bound)
        await core.waitUntilStopped()
    }

    /// Asks the thread to stop, without waiting: at once (`nil`), or once what was received is
    /// delivered, within `bound`. A later call can shorten the bound or stop at once.
    public func requestStop(drainingWithin bound: Duration? = nil) {
        guard let bound else { return core.requestStop() }
        let seconds = Double(bound.components.seconds) + Double(bound.components.attoseconds) / 1e18
        if !core.submit(.init(run: { engine in engine.stopWhenDrained(within: seconds) }, abort: {})) {
            core.requestStop()
        }
    }

    /// Returns once the thread has ended, whoever stopped it (``shutdown()``, a drain, or the
    /// engine's own ``MailslotEngine/stop()`` from a callback).
    public func waitUntilStopped() async {
        await core.waitUntilStopped()
    }

    /// `true` once the thread has ended.
    public var isShutDown: Bool { core.isStopped }
}

/// The state shared by a ``MailslotEngineThread``, its loop thread and its jobs. The loop
/// thread holds it (not the public object), so dropping the public object can shut it down.
final class EngineThreadCore: Sendable {
    /// Work for the loop thread, and what to do instead if it never runs.
    struct Job: Sendable {
        let run: @Sendable (MailslotEngine) -> Void
        let abort: @Sendable () -> Void
    }

    enum Phase: Sendable {
        case starting
        case running(loop: Int)
        case stopping(loop: Int)
        case stopped
        case failed
    }

    struct State {
        var phase: Phase = .starting
        var jobs: [Job] = []
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    static let stopped = MailslotError.operationAborted("the engine thread has shut down")

    private let state = ThreadLock(State())
    /// The `ev_async` watcher, in memory that never moves; freed with the core.
    private let wakeup = WakeupWatcher()
    private let configuration: EngineConfiguration

    init(configuration: EngineConfiguration) throws(MailslotError) {
        self.configuration = configuration
        var thread = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        let status = pthread_create(&thread, nil, { context in
            let core = Unmanaged<EngineThreadCore>.fromOpaque(context!).takeRetainedValue()
            core.main()
            return nil
        }, context)
        guard status == 0 else {
            Unmanaged<EngineThreadCore>.fromOpaque(context).release()
            throw .systemLimit(syscall: "pthread_create", errno: status)
        }
        pthread_detach(thread)
        while true {
            switch state.withLock({ $0.phase }) {
            case .starting: usleep(200)
            case .failed: throw .systemLimit(syscall: "ev_loop_new", errno: 0)
            default: return
            }
        }
    }

    var isStopped: Bool {
        if case .stopped = state.withLock({ $0.phase }) { return true }
        return false
    }

    /// Queues `job` and wakes the loop. - Returns: `false` once stopping (the job is not queued).
    func submit(_ job: Job) -> Bool {
        let loop: Int? = state.withLock { state in
            guard case .running(let loop) = state.phase else { return nil }
            state.jobs.append(job)
            return loop
        }
        guard let loop, let pointer = OpaquePointer(bitPattern: loop) else { return false }
        ev_async_send(pointer, wakeup.watcher)
        return true
    }

    /// Asks the loop to stop (once; later calls do nothing).
    func requestStop() {
        let loop: Int? = state.withLock { state in
            guard case .running(let loop) = state.phase else { return nil }
            state.phase = .stopping(loop: loop)
            return loop
        }
        if let loop, let pointer = OpaquePointer(bitPattern: loop) { ev_async_send(pointer, wakeup.watcher) }
    }

    /// Returns once the thread has ended.
    func waitUntilStopped() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done: Bool = state.withLock { state in
                if case .stopped = state.phase { return true }
                state.waiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    private func main() {
        guard let engine = try? MailslotEngine(configuration: configuration) else {
            state.withLock { $0.phase = .failed }
            return
        }
        CLibEv_async_init(wakeup.watcher, { loop, _, _ in
            guard let loop else { return }
            MailslotEngine.from(loop).runQueuedJobs()
        })
        engine.setQueuedJobRunner { [unowned self, unowned engine] in
            let (jobs, stopping) = state.withLock { state in
                defer { state.jobs = [] }
                if case .stopping = state.phase { return (state.jobs, true) }
                return (state.jobs, false)
            }
            for job in jobs { job.run(engine) }
            if stopping { engine.stop() }
        }
        ev_async_start(engine.loop, wakeup.watcher)
        state.withLock { $0.phase = .running(loop: Int(bitPattern: engine.loop)) }
        engine.run()
        // Stopping: no job gets in any more. Jobs queued meanwhile are aborted; every mailslot
        // closes (pending reads fail as aborted, streams finish).
        let leftover = state.withLock { state in
            state.phase = .stopping(loop: Int(bitPattern: engine.loop))
            defer { state.jobs = [] }
            return state.jobs
        }
        for job in leftover { job.abort() }
        engine.closeEverythingRetained()
        let endHandlers = engine.takeThreadEndHandlers()
        for handler in endHandlers { handler() }
        ev_async_stop(engine.loop, wakeup.watcher)
        engine.setQueuedJobRunner(nil)
        // Stopped only now: a waiter, even one that comes after the loop ended, returns once
        // the end handlers have run (serve reads its final error and summary after it).
        let waiters = state.withLock { state in
            state.phase = .stopped
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

/// An `ev_async` watcher in memory that never moves, freed when its owner goes.
private final class WakeupWatcher: Sendable {
    nonisolated(unsafe) let watcher: UnsafeMutablePointer<ev_async> = .allocate(capacity: 1)
    deinit { watcher.deallocate() }
}
