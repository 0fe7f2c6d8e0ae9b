import CLibEv
import Glibc
import MailslotCore
import Synchronization

/// A ``MailslotEngine`` running on its own thread, for async/await callers on any thread.
///
/// Work reaches the loop through one `ev_async` watcher (coalesced, thread-safe) and a
/// mutex-guarded job list: the only cross-thread entry into the engine, and the only
/// `@unchecked Sendable` type of the engine module besides the stateless client.
///
/// ```swift
/// let thread = try MailslotEngineThread()
/// let slot = try await thread.createMailslot(named: "\\\\.\\mailslot\\jobs")
/// let message = try await slot.read()
/// ```
public final class MailslotEngineThread: @unchecked Sendable {
    typealias Job = @Sendable (MailslotEngine) -> Void

    private let jobs = Mutex<[Job]>([])
    private let wakeup: UnsafeMutablePointer<ev_async> = .allocate(capacity: 1)
    /// The loop's address once the thread runs (0 before), as a bit pattern.
    private let started = Mutex<Int>(0)
    private var thread = pthread_t()
    private let configuration: EngineConfiguration

    /// Starts the engine thread.
    /// - Throws: ``MailslotError/systemLimit(syscall:errno:)`` when the thread or loop cannot start.
    public init(configuration: EngineConfiguration = EngineConfiguration()) throws(MailslotError) {
        self.configuration = configuration
        let context = Unmanaged.passRetained(self).toOpaque()
        let status = pthread_create(&thread, nil, { context in
            let owner = Unmanaged<MailslotEngineThread>.fromOpaque(context!).takeRetainedValue()
            owner.main()
            return nil
        }, context)
        guard status == 0 else {
            Unmanaged<MailslotEngineThread>.fromOpaque(context).release()
            throw .systemLimit(syscall: "pthread_create", errno: status)
        }
        while started.withLock({ $0 }) == 0 { usleep(200) }
        if started.withLock({ $0 }) == -1 {
            pthread_join(thread, nil)
            throw .systemLimit(syscall: "ev_loop_new", errno: 0)
        }
    }

    deinit {
        // The thread holds a reference while it runs, so it has ended by now.
        wakeup.deallocate()
    }

    private func main() {
        guard let engine = try? MailslotEngine(configuration: configuration) else {
            started.withLock { $0 = -1 }
            return
        }
        CLibEv_async_init(wakeup, { loop, _, _ in
            guard let loop else { return }
            let engine = MailslotEngine.from(loop)
            engine.drainJobs?()
        })
        engine.drainJobs = { [unowned self, unowned engine] in
            for job in jobs.withLock({ list in defer { list = [] }; return list }) { job(engine) }
        }
        ev_async_start(engine.loop, wakeup)
        let address = Int(bitPattern: engine.loop)
        started.withLock { $0 = address }
        engine.run()
        ev_async_stop(engine.loop, wakeup)
        engine.drainJobs = nil
    }

    /// Runs `job` on the engine thread, soon.
    public func execute(_ job: @escaping @Sendable (MailslotEngine) -> Void) {
        jobs.withLock { $0.append(job) }
        if let loop = OpaquePointer(bitPattern: started.withLock({ $0 })) { ev_async_send(loop, wakeup) }
    }

    /// Runs `body` on the engine thread and returns its result.
    public func run<T: Sendable>(_ body: @escaping @Sendable (MailslotEngine) -> T) async -> T {
        await withCheckedContinuation { continuation in
            execute { engine in continuation.resume(returning: body(engine)) }
        }
    }

    /// Creates a mailslot on the engine thread (Win32 `CreateMailslot`).
    /// - Throws: as ``MailslotEngine/createMailslot(_:maxMessageSize:readTimeout:)``.
    public func createMailslot(
        named text: String, maxMessageSize: UInt32 = 0, readTimeout: ReadTimeout = .forever
    ) async throws(MailslotError) -> AsyncMailslotServer {
        let result: Result<SlotHandle, MailslotError> = await run { engine in
            Result { () throws(MailslotError) in
                let server = try engine.createMailslot(named: text, maxMessageSize: maxMessageSize, readTimeout: readTimeout)
                engine.retained[server.handle] = server
                return server.handle
            }
        }
        return AsyncMailslotServer(thread: self, handle: try result.get())
    }

    /// Stops the loop and waits for the thread to end. Open mailslots are closed.
    public func shutdown() {
        execute { engine in
            engine.retained.removeAll()
            engine.stop()
        }
        pthread_join(thread, nil)
    }
}

/// A mailslot server owned by a ``MailslotEngineThread``, usable from any task.
public struct AsyncMailslotServer: Sendable {
    let thread: MailslotEngineThread
    let handle: SlotHandle

    /// Reads the next message (a copy), waiting per the read timeout without blocking a thread.
    /// - Throws: ``MailslotError/timeout``, or ``MailslotError/invalidHandle`` after close.
    public func read() async throws(MailslotError) -> [UInt8] {
        let handle = self.handle
        let result: Result<[UInt8], MailslotError> = await withCheckedContinuation { continuation in
            thread.execute { engine in
                engine.enqueueRead(handle) { continuation.resume(returning: $0.map(\.0)) }
            }
        }
        return try result.get()
    }

    /// What `GetMailslotInfo` reports.
    public func info() async throws(MailslotError) -> MailslotInfo {
        let handle = self.handle
        return try await thread.run { engine in
            Result { () throws(MailslotError) in try engine.retainedServer(handle).info() }
        }.get()
    }

    /// Changes the read timeout for later reads.
    public func setReadTimeout(_ timeout: ReadTimeout) async throws(MailslotError) {
        let handle = self.handle
        try await thread.run { engine in
            Result { () throws(MailslotError) in try engine.retainedServer(handle).setReadTimeout(timeout) }
        }.get()
    }

    /// Closes the mailslot.
    public func close() async {
        let handle = self.handle
        await thread.run { engine in
            engine.retained.removeValue(forKey: handle)?.close()
        }
    }
}

extension MailslotEngine {
    func retainedServer(_ handle: SlotHandle) throws(MailslotError) -> MailslotServer {
        guard let server = retained[handle] else { throw .invalidHandle }
        return server
    }
}
