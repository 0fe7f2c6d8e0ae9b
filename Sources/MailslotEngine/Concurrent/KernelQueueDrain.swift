import Glibc

/// Keeps the kernel's queue of every ``ConcurrentMailslotServer`` moving into its ring while
/// no reader is in a call: one thread per process, started with the first server.
///
/// A local socket's kernel queue holds only `net.unix.max_dgram_qlen` datagrams (10 by
/// default). A server whose reader polls now and then (as Win32 programs do with
/// `GetMailslotInfo`) would refuse writers after ten messages; with this thread its ring
/// (``EngineConfiguration/ringQuota``) takes them, as an engine's loop would, and writers see
/// `ERROR_NOT_ENOUGH_QUOTA` only when that is full.
///
/// A reader inside a call receives for itself (no hand-off): this thread then only notes that
/// something came (``ConcurrentMailslotServer/drainUnlessReading()``), and the reader drains
/// on its way out. Sockets are watched edge-triggered, so a queue the ring cannot take (push
/// back) does not keep the thread awake.
final class KernelQueueDrain: @unchecked Sendable {
    private struct Watched {
        weak var server: ConcurrentMailslotServer?
    }

    private let epoll: Descriptor
    private let watched = ThreadLock<(servers: [UInt64: Watched], next: UInt64)>(([:], 1))
    private let ownerPID = getpid()

    /// The process's drain (a new one in a forked child, whose parent's thread did not follow).
    private static let current = ThreadLock<KernelQueueDrain?>(nil)

    private init() throws(MailslotError) {
        do { epoll = Descriptor(owning: try system_epollCreate()) } catch { throw error.mailslotError }
    }

    /// The drain of this process, started on first use.
    static func shared() throws(MailslotError) -> KernelQueueDrain {
        let result: Result<KernelQueueDrain, MailslotError> = current.withLock { current in
            if let drain = current, drain.ownerPID == getpid() { return .success(drain) }
            return Result { () throws(MailslotError) in
                let drain = try KernelQueueDrain()
                try drain.startThread()
                current = drain
                return drain
            }
        }
        return try result.get()
    }

    private func startThread() throws(MailslotError) {
        var thread = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        let status = pthread_create(&thread, nil, { context in
            let drain = Unmanaged<KernelQueueDrain>.fromOpaque(context!).takeRetainedValue()
            drain.run()
            return nil
        }, context)
        guard status == 0 else {
            Unmanaged<KernelQueueDrain>.fromOpaque(context).release()
            throw .systemLimit(syscall: "pthread_create", errno: status)
        }
        pthread_detach(thread)
    }

    /// Watches `fd` (a server's socket) for `server`. - Returns: the tag to ``unwatch(_:fd:)`` with.
    func watch(_ fd: Int32, for server: ConcurrentMailslotServer) throws(MailslotError) -> UInt64 {
        let tag = watched.withLock { watched in
            defer { watched.next += 1 }
            watched.servers[watched.next] = Watched(server: server)
            return watched.next
        }
        do { try system_epollAddEdge(epoll.rawValue, fd, tag: tag) } catch {
            _ = watched.withLock { $0.servers.removeValue(forKey: tag) }
            throw error.mailslotError
        }
        return tag
    }

    /// Stops watching (before the socket closes).
    func unwatch(_ tag: UInt64, fd: Int32) {
        system_epollRemove(epoll.rawValue, fd)
        _ = watched.withLock { $0.servers.removeValue(forKey: tag) }
    }

    /// The thread: for ever, wait for arrivals and drain their servers.
    private func run() {
        while true {
            for tag in system_epollWaitTags(epoll.rawValue) {
                let server = watched.withLock { $0.servers[tag]?.server }
                server?.drainUnlessReading()
            }
        }
    }
}
