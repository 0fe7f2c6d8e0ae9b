import Glibc

/// Keeps the kernel's queue of every ``ConcurrentMailslotServer`` moving into its ring while
/// no reader is at work: one thread per process, started with the first server.
///
/// A local socket's kernel queue holds only `net.unix.max_dgram_qlen` datagrams (10 by
/// default). A server whose reader looks now and then (as Win32 programs do with
/// `GetMailslotInfo` every few seconds) would refuse writers after ten messages; with this
/// thread its ring (``EngineConfiguration/ringQuota``) takes them, as an engine's loop would,
/// and writers see `ERROR_NOT_ENOUGH_QUOTA` only when that is full.
///
/// A reader at work receives for itself, so this thread must not wake for each of its
/// messages: that would be a hand-off per message (and, on two cores, a third runnable thread
/// beside the writer and the reader). Each socket is armed for one event at a time
/// (edge-triggered, one-shot):
///
/// - an arrival while no reader has been at work since the last look: drain into the ring, arm
///   again;
/// - an arrival while a reader is at work, or was since the last look: stay disarmed, and look
///   again every ``sweepMilliseconds``. Once a look finds the reader gone quiet, drain and arm.
///
/// A ring that is full (push-back) keeps its socket disarmed and looked at, so the kernel's
/// queue moves in as soon as a read makes room, whether or not more writes arrive.
final class KernelQueueDrain: @unchecked Sendable {
    private struct Watched {
        weak var server: ConcurrentMailslotServer?
        let fd: Int32
        /// The server's read count when it was last looked at, while disarmed.
        var disarmedAtReads: UInt64?
    }

    /// How often disarmed sockets are looked at.
    static let sweepMilliseconds: Int32 = 5

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
            watched.servers[watched.next] = Watched(server: server, fd: fd)
            return watched.next
        }
        do { try system_epollArmOnce(epoll.rawValue, fd, tag: tag, rearm: false) } catch {
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

    /// The thread: for ever, wait for arrivals (and, while any socket is disarmed, look again
    /// every sweep), and drain the servers whose readers are quiet.
    private func run() {
        while true {
            let anyDisarmed = watched.withLock { $0.servers.values.contains { $0.disarmedAtReads != nil } }
            let arrivals = system_epollWaitTags(epoll.rawValue, timeoutMilliseconds: anyDisarmed ? Self.sweepMilliseconds : -1)
            for tag in arrivals { look(tag, arrived: true) }
            if anyDisarmed {
                let disarmed = watched.withLock { $0.servers.filter { $0.value.disarmedAtReads != nil }.map(\.key) }
                for tag in disarmed where !arrivals.contains(tag) { look(tag, arrived: false) }
            }
        }
    }

    /// One server's turn: drain and arm when its reader is quiet, else stay disarmed.
    private func look(_ tag: UInt64, arrived: Bool) {
        guard let entry = watched.withLock({ $0.servers[tag] }), let server = entry.server else { return }
        let reads = server.readCount
        let quiet = server.activeReaderCount == 0 && (entry.disarmedAtReads.map { $0 == reads } ?? true)
        var stayDisarmed = !quiet
        if quiet { stayDisarmed = !server.drain() }
        watched.withLock { watched in
            guard watched.servers[tag] != nil else { return }
            watched.servers[tag]?.disarmedAtReads = stayDisarmed ? reads : nil
        }
        if !stayDisarmed { try? system_epollArmOnce(epoll.rawValue, entry.fd, tag: tag, rearm: true) }
    }
}
