import Glibc
import Synchronization
import MailslotCore
import MailslotWire

/// A writer to a mailslot (Win32: the handle from `CreateFile` on a mailslot name, used with
/// `WriteFile`).
///
/// It has no read operation: a client handle cannot read (Win32 answers
/// `ERROR_INVALID_PARAMETER`; here the operation does not exist). A client needs no engine:
/// each write is one non-blocking datagram to the server's socket.
///
/// Thread-safe: local writes are single datagrams the kernel orders, and remote writes (which
/// encode into shared buffers) take a lock.
public final class MailslotClient: Sendable {
    /// The name this client writes to.
    public let name: MailslotName
    /// The server's maximum message size (`0`: any), as published when the client opened.
    public let maxMessageSize: UInt32
    /// The uid that owns the local mailslot this client writes to, as the kernel reports it for
    /// the socket it connected to (`nil` for remote names, or when the kernel cannot say).
    public let ownerUID: UInt32?
    private let fd: Int32
    /// Set for remote and domain names: writes go out as MS-MAIL datagrams.
    private let remote: RemoteChannel?
    /// Set when the server offered its shared-memory ring and gave it to this writer.
    private let sharedMemory: SharedMemorySender?
    /// Set once the server closed the ring while its socket lives on (a passed handle): later
    /// writes go by socket.
    private let sharedMemoryClosed = Atomic(false)

    /// Opens a mailslot for writing.
    ///
    /// Local names connect to the server's socket. Remote (`\\COMPUTER\mailslot\x`) and domain
    /// (`\\DOMAIN\mailslot\x`, `\\*\mailslot\x`) names write MS-MAIL datagrams, per
    /// `network` (by default ``NetworkConfiguration/standard()``).
    /// A local mailslot that offers a shared-memory ring (see
    /// ``MailslotEngine/createMailslot(_:maxMessageSize:readTimeout:sharedMemoryBytes:writers:)``) is
    /// written through it when `sharedMemory` is `true` and the server lets this process (same
    /// user, or root); otherwise, and once the server closes the ring, by socket. One writer
    /// uses one way at a time, so its messages stay in order; messages of a writer by socket
    /// and of another through memory have no order between them.
    ///
    /// A local mailslot's registry entry (its max size, who may write) is believed only when
    /// the kernel vouches for it (see `docs/security.md`). With `requiredOwner`, the open fails
    /// unless that uid owns the mailslot: a writer can refuse a name another user took first.
    /// - Throws: ``/MailslotCore/MailslotError/fileNotFound(_:)`` when no local server has the name;
    ///   ``/MailslotCore/MailslotError/accessDenied(_:)`` when the mailslot does not let this user write, or
    ///   is not owned by `requiredOwner`;
    ///   ``/MailslotCore/MailslotError/badNetPath(_:)`` when a computer name cannot be resolved.
    public init(
        _ name: MailslotName, network: NetworkConfiguration? = nil, sharedMemory: Bool = true, requiredOwner: UInt32? = nil
    ) throws(MailslotError) {
        guard name.scope == .local else {
            let configuration: NetworkConfiguration
            if let network { configuration = network } else { configuration = try NetworkConfiguration.standard() }
            let writer = try RemoteWriter(name, configuration: configuration)
            self.name = name
            self.fd = -1
            self.maxMessageSize = UInt32(writer.messageLimit)
            self.ownerUID = nil
            remote = RemoteChannel(writer)
            self.sharedMemory = nil
            return
        }
        remote = nil
        let endpoint = LocalEndpoint(name)
        // Owned until the client takes it: every refusal below closes it.
        let socket: Descriptor
        do {
            socket = Descriptor(owning: try system_socket(domain: AF_UNIX, type: Int32(SOCK_DGRAM.rawValue)))
        } catch {
            throw error.mailslotError
        }
        do {
            try system_connect(socket.rawValue, endpoint.address)
        } catch {
            if error.errno == ECONNREFUSED || error.errno == ENOENT { throw .fileNotFound(name.fullName) }
            throw error.mailslotError
        }
        let peer = system_unixPeerIdentity(socket.rawValue)
        let entry = LocalRegistry.standard().trustedEntry(endpoint, peer: peer)
        let owner = peer?.uid ?? entry?.fileOwner
        if let requiredOwner, owner != requiredOwner {
            throw .accessDenied("\(name.fullName) belongs to uid \(owner.map(String.init) ?? "unknown"), not uid \(requiredOwner)")
        }
        let me = system_effectiveIDs()
        if let entry, !entry.writers.allows(uid: me.uid, gid: me.gid, creator: entry.fileOwner) {
            throw .accessDenied("\(name.fullName) lets only \(entry.writers) (and its creator) write, not uid \(me.uid) gid \(me.gid)")
        }
        self.name = name
        let fd = socket.release()  // the client's now: closed in deinit
        self.fd = fd
        self.ownerUID = owner
        self.maxMessageSize = entry?.maxMessageSize ?? 0
        _ = try? system_setsockopt(fd, level: SOL_SOCKET, name: SO_SNDBUF, value: 4 << 20)
        let offered = sharedMemory && (entry?.sharedMemoryBytes ?? 0) > 0
        self.sharedMemory = offered ? SharedMemorySender.request(over: fd, timeout: Self.sharedMemoryAnswerTimeout) : nil
    }

    /// Fault injection for tests: claims a shared-memory record of `length` bytes, calls
    /// `claimed`, and then sleeps for ever without committing it (the test kills the process).
    /// Not for use outside tests.
    package func _debugClaimWithoutCommit(length: Int, _ claimed: () -> Void) {
        sharedMemory?.debugClaimWithoutCommit(length: length, claimed)
    }

    /// Fault injection for tests: writes random 8-byte words all over the shared-memory region
    /// (control block included) for `seconds`, and at least 200,000 words, as a hostile writer
    /// could. Not for use outside tests.
    package func _debugScribble(seconds: Double) {
        sharedMemory?.debugScribble(seconds: seconds)
    }

    /// How long opening waits for the server to answer a request for its ring (it answers on
    /// its loop; a server that does not answer in time is written by socket).
    static let sharedMemoryAnswerTimeout = 1.0

    /// `true` when writes go through the server's shared-memory ring.
    public var usesSharedMemory: Bool { sharedMemory != nil && !sharedMemoryClosed.load(ordering: .relaxed) }

    /// Writes through the ring when there is one. - Returns: `false` when the socket must be
    /// used instead (no ring, or the server closed it).
    private func writeShared(_ bytes: UnsafeRawBufferPointer, until deadline: Double?, wakingReader: Bool = true) throws(MailslotError) -> Bool {
        guard let sharedMemory, !sharedMemoryClosed.load(ordering: .relaxed) else { return false }
        do {
            try sharedMemory.write(bytes, until: deadline, wakingReader: wakingReader)
            return true
        } catch {
            switch error {
            case .ringClosed:
                sharedMemoryClosed.store(true, ordering: .relaxed)
                return false
            case .ringCorrupt:
                return false
            case .failed(let failure):
                throw failure
            }
        }
    }

    /// Opens a writer that answers a message from another computer: unique datagrams to its
    /// sender's NetBIOS name, at the address and port it came from, for `mailslot`
    /// (`\MAILSLOT\…`, e.g. the reply slot a NETLOGON query names).
    /// - Throws: ``/MailslotCore/MailslotError/invalidParameter(_:)`` when the origin or name is not usable.
    public convenience init(replyingTo origin: MessageOrigin, mailslot: String, network: NetworkConfiguration) throws(MailslotError) {
        let endpoint = IPv4Endpoint(address: origin.ip, port: origin.port)
        let destination = origin.source
        guard mailslot.uppercased().hasPrefix("\\MAILSLOT\\") else { throw .invalidParameter("not a mailslot name: \(mailslot)") }
        let name: MailslotName
        do { name = try MailslotName(localPath: String(mailslot.dropFirst(10))) } catch { throw .invalidName(error) }
        let remote = try RemoteWriter(replyTo: endpoint, destination: destination, mailslotName: mailslot, configuration: network)
        self.init(name: name, remote: remote)
    }

    init(name: MailslotName, remote: RemoteWriter) {
        self.name = name
        self.fd = -1
        self.maxMessageSize = UInt32(remote.messageLimit)
        self.ownerUID = nil
        self.remote = RemoteChannel(remote)
        self.sharedMemory = nil
    }

    /// Opens a mailslot by its text (short form `x` or any full form).
    /// - Throws: ``/MailslotCore/MailslotError/invalidName(_:)`` and as ``init(_:network:sharedMemory:requiredOwner:)``.
    public convenience init(named text: String, network: NetworkConfiguration? = nil) throws(MailslotError) {
        let name: MailslotName
        do { name = try MailslotName(shortOrFull: text) } catch { throw .invalidName(error) }
        try self.init(name, network: network)
    }

    deinit {
        if fd >= 0 { system_close(fd) }
    }

    /// The largest message this client may write.
    public var messageLimit: Int { MessageSizeLimit.effective(maxMessageSize) }

    /// Appends one message (Win32 `WriteFile`). Never blocks.
    ///
    /// - Throws: ``/MailslotCore/MailslotError/messageTooLarge(size:limit:)`` (nothing sent);
    ///   ``/MailslotCore/MailslotError/queueFull`` when the server cannot take it now (nothing sent);
    ///   ``/MailslotCore/MailslotError/serverGone`` once the server closed or died.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(MailslotError) {
        if let remote { return try remote.withWriter { writer throws(MailslotError) in try writer.send(bytes) } }
        guard bytes.count <= messageLimit else { throw .messageTooLarge(size: bytes.count, limit: messageLimit) }
        if try writeShared(bytes, until: 0) { return }
        guard try tryWrite(bytes) else { throw .queueFull }
    }

    /// Refuses a negative wait (`nil` is the way to wait as long as it takes).
    private static func checkWait(_ timeoutMilliseconds: Int?) throws(MailslotError) {
        if let timeoutMilliseconds, timeoutMilliseconds < 0 {
            throw .invalidParameter("a wait of \(timeoutMilliseconds) ms (0 or more; nil waits as long as it takes)")
        }
    }

    /// Appends one message; waits up to `timeoutMilliseconds` for room when the server's queue
    /// is full (`nil`: as long as it takes).
    /// - Throws: as `write(_:)`, with ``/MailslotCore/MailslotError/queueFull`` only once the wait is over.
    public func write(_ bytes: UnsafeRawBufferPointer, waitingUpTo timeoutMilliseconds: Int?) throws(MailslotError) {
        try Self.checkWait(timeoutMilliseconds)
        if let remote {  // waits only for room in the host service's outbox
            let deadline = timeoutMilliseconds.map { system_monotonicSeconds() + Double($0) / 1000 }
            return try remote.withWriter { writer throws(MailslotError) in
                while true {
                    do throws(MailslotError) { return try writer.send(bytes) } catch {
                        guard error == .queueFull, try writer.waitForRoom(until: deadline) else { throw error }
                    }
                }
            }
        }
        let deadline = timeoutMilliseconds.map { system_monotonicSeconds() + Double($0) / 1000 }
        guard bytes.count <= messageLimit else { throw .messageTooLarge(size: bytes.count, limit: messageLimit) }
        if try writeShared(bytes, until: deadline) { return }
        while try !tryWrite(bytes) {
            guard try waitForRoom(until: deadline) else { throw .queueFull }
        }
    }

    /// Sleeps in `poll` until the socket is writable or `deadline` (monotonic seconds; `nil`:
    /// no limit) passes. - Returns: `false` once the deadline has passed.
    private func waitForRoom(until deadline: Double?) throws(MailslotError) -> Bool {
        var wait: Int32 = -1
        if let deadline {
            let left = deadline - system_monotonicSeconds()
            guard left > 0 else { return false }
            wait = Int32(min(left * 1000 + 1, Double(Int32.max)))
        }
        do { _ = try system_poll(fd, events: Int16(POLLOUT), timeoutMilliseconds: wait) } catch {
            throw error.mailslotError
        }
        return true
    }

    /// Appends one message from an array or any contiguous bytes.
    public func write(_ bytes: some Sequence<UInt8>) throws(MailslotError) {
        let array = Array(bytes)
        try array.withUnsafeBytes { buffer in Result { () throws(MailslotError) in try write(buffer) } }.get()
    }

    /// Appends one message made of a string's UTF-8 bytes.
    public func write(_ text: String) throws(MailslotError) {
        try write(Array(text.utf8))
    }

    /// Sends the messages waiting in `batch`, in order, with as few system calls as it takes
    /// (`sendmmsg`); sent messages leave the batch, unsent ones stay in it.
    ///
    /// - Parameters:
    ///   - batch: the messages to send.
    ///   - timeoutMilliseconds: how long to wait for room when the server's queue is full: `0`
    ///     (the default) never waits, `nil` waits as long as it takes.
    /// - Returns: how many messages were sent; fewer than the batch held only when the queue
    ///   stayed full (the rest stay in `batch`).
    /// - Throws: ``/MailslotCore/MailslotError/messageTooLarge(size:limit:)`` when a waiting message is larger
    ///   than ``messageLimit`` (nothing is sent); ``/MailslotCore/MailslotError/serverGone`` once the server
    ///   closed or died.
    @discardableResult
    public func write(_ batch: MailslotWriteBatch, waitingUpTo timeoutMilliseconds: Int? = 0) throws(MailslotError) -> Int {
        try Self.checkWait(timeoutMilliseconds)
        if remote != nil { return try writeRemote(batch) }
        for offset in 0..<batch.count where batch.length(at: offset) > messageLimit {
            throw .messageTooLarge(size: batch.length(at: offset), limit: messageLimit)
        }
        let deadline = timeoutMilliseconds.map { system_monotonicSeconds() + Double($0) / 1000 }
        var sent = 0
        if let sharedMemory {
            // One wake-up check for the batch, after it (and before any wait for room).
            defer { sharedMemory.wakeReaderIfAsleep() }
            while !batch.isEmpty {
                do throws(MailslotError) {
                    guard try writeShared(batch.message(at: 0), until: deadline, wakingReader: false) else { break }
                } catch {
                    if error == .queueFull { return sent }
                    throw error
                }
                sent += 1
                batch.markSent(1)
            }
        }
        while !batch.isEmpty {
            let result: IOResult<Int32>
            do {
                result = try batch.sendPending(fd)
            } catch {
                throw Self.writeError(error, size: batch.length(at: 0), limit: messageLimit)
            }
            if case .processed(let count) = result, count > 0 {
                sent += Int(count)
                batch.markSent(Int(count))
                continue
            }
            // The queue is full: sleep in poll until the server's queue has room (or the wait
            // is over), never spin.
            guard try waitForRoom(until: deadline) else { break }
        }
        return sent
    }

    /// A batch to another computer: one datagram per message, one `sendmmsg` per destination.
    private func writeRemote(_ batch: MailslotWriteBatch) throws(MailslotError) -> Int {
        let sent = try remote!.withWriter { writer throws(MailslotError) in try writer.send(batch) }
        batch.markSent(sent)
        return sent
    }

    private static func writeError(_ error: SyscallError, size: Int, limit: Int) -> MailslotError {
        switch error.errno {
        case ECONNREFUSED, ENOTCONN, EPIPE, ECONNRESET: .serverGone
        case EMSGSIZE: .messageTooLarge(size: size, limit: limit)
        default: error.mailslotError
        }
    }

    /// One send attempt. - Returns: `false` when the queue was full.
    private func tryWrite(_ bytes: UnsafeRawBufferPointer) throws(MailslotError) -> Bool {
        guard bytes.count <= messageLimit else { throw .messageTooLarge(size: bytes.count, limit: messageLimit) }
        do {
            switch try system_send(fd, bytes) {
            case .processed: return true
            case .wouldBlock: return false
            }
        } catch {
            throw Self.writeError(error, size: bytes.count, limit: messageLimit)
        }
    }
}

/// A remote writer behind a lock: its encoder and buffers are shared by every write, so one
/// write at a time uses them. (`@unchecked` because the lock, not the type system, guards the
/// writer: `Mutex<RemoteWriter>` cannot lend it to a closure that also borrows the caller's
/// non-Sendable buffer.)
final class RemoteChannel: @unchecked Sendable {
    private let lock = Mutex(())
    private let writer: RemoteWriter

    init(_ writer: RemoteWriter) {
        self.writer = writer
    }

    /// Runs `body` with the writer, holding the lock.
    func withWriter<R>(_ body: (RemoteWriter) throws(MailslotError) -> R) throws(MailslotError) -> R {
        try lock.withLock { _ throws(MailslotError) in try body(writer) }
    }
}
