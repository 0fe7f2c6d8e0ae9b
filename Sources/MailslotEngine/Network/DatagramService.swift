import CLibEv
import Glibc
import MailslotCore
import MailslotWire

/// The host's NetBIOS datagram service (UDP 138 by default): receives MS-MAIL mailslot writes
/// from other computers and hands each to the mailslot of that name on this host, whichever
/// process owns it.
///
/// - One UDP socket bound to `0.0.0.0:port` (so it gets unicast and broadcast) with
///   SO_BROADCAST; exactly one engine per host can own it (the bind fails with
///   ``/MailslotCore/MailslotError/alreadyExists(_:)`` otherwise).
/// - Each readable event: up to 4 `recvmmsg` calls of 32 datagrams, as for local mailslots.
/// - Source filter: with an allow-list (``NetworkConfiguration/allowedSources``), datagrams from
///   other addresses are counted as `accessDenied`.
/// - Destination filter: datagrams to this computer's name or its domain (any suffix), and
///   BROADCAST datagrams to those or to `*`, are taken; the rest are counted as
///   `wrongDestination`.
/// - A mailslot of this engine gets the message with its origin (one copy, from the receive
///   buffer into the ring). Any other local mailslot gets it through the local transport (the
///   service writes it like a local client; the origin is not carried).
/// - Every datagram not delivered is counted by cause: malformed, oversize, wrong destination,
///   unknown mailslot, queue full.
final class DatagramService {
    /// The UDP socket (closed with the service).
    private let socket: Descriptor
    /// The UDP socket's number.
    var fd: Int32 { socket.rawValue }
    let configuration: NetworkConfiguration
    /// The UDP socket's watcher, and the outbox's (made by ``start(loop:)``).
    private var watchers: (socket: LoopIO, outbox: LoopIO)?
    /// Warnings that can repeat at traffic rate (failed receives and relays), shared with the engine.
    private let log: RateLimitedLog
    let computer: NetBIOSName
    let domain: NetBIOSName
    /// Unbound AF_UNIX datagram socket used to relay to other processes' mailslots.
    private let relaySocket: Descriptor
    /// Where this host's writers hand datagrams to be sent from the service's port.
    let outbox: OutboxForwarder
    /// The UDP port the service owns.
    let port: UInt16
    /// The source allow-list (empty: any sender).
    let allowedSources: [IPv4Network]
    @exclusivity(unchecked) private(set) var statistics = DatagramStatistics()
    /// Slots that got messages in the current batch (delivered once at its end).
    @exclusivity(unchecked) private var touchedSlots: [Int] = []
    /// Datagrams the last `recvmmsg` filled (their headers need resetting before the next).
    private(set) var batchCount = 0
    /// The first datagram of the batch not handled yet. Handling goes by this shared cursor, so
    /// a callback that runs the loop (which may receive the next batch into the same buffers)
    /// first finishes this batch: nothing is handled twice or overwritten unhandled.
    @exclusivity(unchecked) private var nextDatagram = 0

    static let batchSize = 32
    static let slotBytes = 2048
    /// Headers, one buffer, one sender address and one control area (the `SO_RXQ_OVFL`
    /// counter) per datagram.
    private let vector = MessageVector(
        capacity: batchSize, bufferStride: slotBytes, bufferAlignment: 64, nameBytes: MemoryLayout<sockaddr_in>.size,
        controlBytes: CLibEv_cmsg_space_drops())

    init(configuration: NetworkConfiguration, log: RateLimitedLog) throws(MailslotError) {
        self.configuration = configuration
        self.log = log
        allowedSources = configuration.allowedSources
        computer = configuration.name(suffix: 0)
        domain = configuration.domainName(suffix: 0)
        let socket: Descriptor
        if let inherited = configuration.inheritedSocket {
            socket = Descriptor(owning: inherited)  // ours now: closed on every path out
            guard system_isBoundIPv4Datagram(socket.rawValue) else {
                throw .invalidParameter("the inherited socket is not a bound IPv4 UDP socket")
            }
        } else {
            do {
                socket = Descriptor(owning: try system_socket(domain: AF_INET, type: Int32(SOCK_DGRAM.rawValue)))
            } catch {
                throw error.mailslotError
            }
        }
        let fd = socket.rawValue
        do {
            if configuration.inheritedSocket != nil {
                try system_setNonBlocking(fd)
                try system_setCloseOnExec(fd, true)
            }
            try system_setsockopt(fd, level: SOL_SOCKET, name: SO_BROADCAST, value: 1)
            // Every datagram then carries the socket's cumulative kernel drop count.
            try system_setsockopt(fd, level: SOL_SOCKET, name: SO_RXQ_OVFL, value: 1)
            let buffer = Int32(clamping: configuration.receiveBufferBytes)
            if (try? system_setsockopt(fd, level: SOL_SOCKET, name: SO_RCVBUFFORCE, value: buffer)) == nil {
                try? system_setsockopt(fd, level: SOL_SOCKET, name: SO_RCVBUF, value: buffer)
            }
            if configuration.inheritedSocket == nil {
                let address = IPv4Endpoint(configuration.bindAddress, port: configuration.udpPort)?.address ?? 0
                try system_bind(fd, IPv4Endpoint(address: address, port: configuration.udpPort))
            }
            port = try system_localEndpoint(fd).port
            outbox = try OutboxForwarder(port: port)
            relaySocket = Descriptor(owning: try system_socket(domain: AF_UNIX, type: Int32(SOCK_DGRAM.rawValue)))
        } catch {
            // The socket closes as it goes out of scope.
            if error.errno == EADDRINUSE {
                throw .alreadyExists("UDP port \(configuration.udpPort) (another datagram service runs on this host)")
            }
            if error.errno == EACCES {
                throw .invalidParameter("UDP port \(configuration.udpPort) needs root or CAP_NET_BIND_SERVICE")
            }
            throw error.mailslotError
        }
        self.socket = socket
        touchedSlots.reserveCapacity(Self.batchSize)
        for index in 0..<Self.batchSize {
            vector.setPart(index, 0, vector.buffer(index), length: Self.slotBytes)
            vector.setHeader(index, parts: 1)
        }
    }

    /// One `recvmmsg`; returns how many datagrams arrived. The headers are set up once; only
    /// what the kernel changed in the last batch is reset. A failed call is counted in
    /// ``DatagramStatistics/receiveErrors`` and reads as an empty batch. The last batch must
    /// have been handled (``nextDatagram`` at its end).
    func receiveBatch() -> Int {
        precondition(nextDatagram == batchCount, "a batch was received over one not handled yet")
        for index in 0..<batchCount { vector.resetForReceive(index) }
        batchCount = 0
        nextDatagram = 0
        let result: IOResult<Int32>
        do {
            result = try vector.receive(fd, count: Self.batchSize, flags: Int32(MSG_TRUNC))
        } catch {
            statistics.receiveErrors &+= 1
            log.warning(.serviceReceiveFailed, "the datagram service's receive failed: \(error)", now: system_monotonicSeconds())
            return 0
        }
        guard case .processed(let count) = result else { return 0 }
        batchCount = Int(count)
        if count > 0 { noteKernelDrops(vector.withHeader(Int(count) - 1) { CLibEv_cmsg_get_drops($0) }) }
        return Int(count)
    }

    // MARK: Running on a loop

    /// Starts the watchers of the UDP socket and the outbox on `loop`.
    func start(loop: OpaquePointer) {
        let watchers = (
            socket: LoopIO(loop: loop, fd: fd) { loop, _ in MailslotEngine.from(loop).handleDatagrams() },
            outbox: LoopIO(loop: loop, fd: outbox.fd) { loop, _ in MailslotEngine.from(loop).handleOutbox() }
        )
        watchers.socket.start()
        watchers.outbox.start()
        self.watchers = watchers
    }

    /// Stops both watchers, then reads and counts as unread at close what the socket still
    /// holds (and what is left of a batch stopped from a callback), so the counters add up:
    /// every datagram that reached the socket is delivered, relayed, or dropped by cause.
    /// Bounded: a sender cannot keep a stop in here.
    func stopReceiving() {
        watchers?.socket.stop()
        watchers?.outbox.stop()
        refreshKernelDrops()
        var unread = batchCount - nextDatagram
        nextDatagram = batchCount
        for _ in 0..<1024 {
            statistics.received &+= UInt64(unread)
            statistics.drops.closedUnread &+= UInt64(unread)
            unread = receiveBatch()
            nextDatagram = unread
            if unread < Self.batchSize { break }
        }
        statistics.received &+= UInt64(unread)
        statistics.drops.closedUnread &+= UInt64(unread)
        refreshKernelDrops()
    }

    /// Sends up to a batch of what this host's writers left in the outbox. - Returns: whether
    /// a full batch went (more may wait).
    func forwardOutbox() -> Bool {
        outbox.forward(through: fd, port: port, statistics: &statistics)
    }

    // MARK: Dispatch

    /// What the engine did with a message for one of its own mailslots.
    enum Handoff {
        /// Given to the mailslot's callback at once.
        case delivered
        /// Queued in slot `slot`'s ring, to be served once the batch is handled.
        case queued(slot: Int)
        /// The mailslot's ring had no room.
        case queueFull
        /// No mailslot of this engine has the name.
        case notHere
    }

    /// One readable event's worth: up to `batches` receive calls. Each datagram goes through the
    /// filters (sender list, size, MS-MAIL decode, destination), and each one refused is counted
    /// by cause. A message goes to `handOff` (the engine's own mailslots) with its path's hash,
    /// payload and origin; when no mailslot of the engine has the name it is relayed to another
    /// process's (or counted as unknown). Then `serve` runs once for each slot that queued some.
    func handleEvent(
        batches: Int,
        handOff: (PathHash, UnsafeRawBufferPointer, MessageOrigin) -> Handoff,
        serve: (Int) -> Void
    ) {
        for _ in 0..<batches {
            handleUnhandled(handOff)
            // A callback may have stopped the service (which counted the rest as unread).
            guard isReceiving else { break }
            let count = receiveBatch()
            handleUnhandled(handOff)
            while let slot = touchedSlots.popLast() { serve(slot) }
            if count < Self.batchSize || !isReceiving { break }
        }
    }

    /// `true` from ``start(loop:)`` until ``stopReceiving()``.
    var isReceiving: Bool { watchers?.socket.isActive == true }

    /// Handles the current batch from its cursor on (a nested loop run may have taken some).
    private func handleUnhandled(_ handOff: (PathHash, UnsafeRawBufferPointer, MessageOrigin) -> Handoff) {
        while nextDatagram < batchCount {
            let index = nextDatagram
            nextDatagram = index + 1
            handle(index, handOff)
        }
    }

    private func handle(_ index: Int, _ handOff: (PathHash, UnsafeRawBufferPointer, MessageOrigin) -> Handoff) {
        statistics.received &+= 1
        let (bytes, length, sender) = datagram(index)
        guard acceptsSender(sender.address) else { return statistics.drops.accessDenied &+= 1 }
        guard length <= Self.slotBytes else { return statistics.drops.oversize &+= 1 }
        let datagram: MailslotDatagram
        do {
            datagram = try MailslotDatagram.decode(bytes.bytes)
        } catch {
            if case .tooLarge = error { statistics.drops.oversize &+= 1 } else { statistics.drops.malformed &+= 1 }
            return
        }
        guard isAddressedHere(datagram) else { return statistics.drops.wrongDestination &+= 1 }
        // The path after `\MAILSLOT\`, hashed as the local transport names it: no strings, no
        // allocation, and the same key whichever process owns the mailslot.
        let path = datagram.mailslotNameRange.dropFirst(10)
        let hash = PathHash(asciiPath: UnsafeRawBufferPointer(rebasing: bytes[path]))
        let payload = UnsafeRawBufferPointer(rebasing: bytes[datagram.dataRange])
        let origin = MessageOrigin(
            ip: sender.address, port: sender.port, source: datagram.source, destination: datagram.destination,
            type: datagram.type)
        // Counted as delivered before it is handed over: the callback it reaches may stop the
        // service, whose final counters must include it. Taken back if it was not.
        statistics.delivered &+= 1
        switch handOff(hash, payload, origin) {
        case .delivered:
            break
        case .queued(let slot):
            if touchedSlots.last != slot { touchedSlots.append(slot) }
        case .queueFull:
            statistics.delivered &-= 1
            statistics.drops.queueFull &+= 1
        case .notHere:
            statistics.delivered &-= 1
            guard configuration.relaysToOtherProcesses else { return statistics.drops.unknownMailslot &+= 1 }
            relay(payload, to: hash)
        }
    }

    /// Hands a message to another process's mailslot through the local transport (its address
    /// written in place: no allocation).
    private func relay(_ payload: UnsafeRawBufferPointer, to hash: PathHash) {
        switch Result(catching: { () throws(SyscallError) in try system_sendto(relaySocket.rawValue, payload, to: hash) }) {
        case .success(.processed): statistics.relayed &+= 1
        case .success(.wouldBlock): statistics.drops.queueFull &+= 1
        case .failure(let error) where error.errno == EMSGSIZE: statistics.drops.oversize &+= 1
        case .failure(let error) where error.errno == ECONNREFUSED || error.errno == ENOENT:
            statistics.drops.unknownMailslot &+= 1  // no such mailslot here: normal traffic
        case .failure(let error):
            statistics.drops.unknownMailslot &+= 1
            log.warning(.relayFailed, "relaying a remote message to a local mailslot failed: \(error)", now: system_monotonicSeconds())
        }
    }

    /// Takes the socket's cumulative kernel drop count (from `SO_RXQ_OVFL`, or `/proc/net/udp`).
    func noteKernelDrops(_ total: Int64) {
        guard total >= 0 else { return }
        statistics.drops.kernelBufferFull = max(statistics.drops.kernelBufferFull, UInt64(total))
    }

    /// Reads the socket's kernel drop count now, from `/proc/net/udp` (the same counter
    /// `SO_RXQ_OVFL` reports, which only arrives with the next datagram).
    func refreshKernelDrops() {
        guard let inode = system_socketInode(fd), let drops = system_udpSocketDrops(inode: inode) else { return }
        noteKernelDrops(Int64(drops))
    }

    /// Datagram `index` of the last batch and its sender.
    private func datagram(_ index: Int) -> (bytes: UnsafeRawBufferPointer, length: Int, sender: IPv4Endpoint) {
        let length = vector.length(index)
        let bytes = UnsafeRawBufferPointer(start: vector.buffer(index), count: min(length, Self.slotBytes))
        return (bytes, length, IPv4Endpoint(vector.name(index).load(as: sockaddr_in.self)))
    }

    /// Whether a datagram is for this host: addressed to its computer name or its domain
    /// (any suffix). A BROADCAST datagram must name one of them too, or `*`: broadcasts meant
    /// for another domain on the same wire are not taken.
    private func isAddressedHere(_ datagram: MailslotDatagram) -> Bool {
        let destination = datagram.destination
        if destination.sameName(as: computer) || destination.sameName(as: domain) { return true }
        return datagram.type == .broadcast && destination.sameName(as: Self.anyName)
    }

    /// `*`, the name a BROADCAST datagram to everyone carries.
    static let anyName = try! NetBIOSName("*", suffix: 0)

    /// Whether the service takes datagrams from `address` (its source allow-list).
    @inline(__always) func acceptsSender(_ address: UInt32) -> Bool {
        allowedSources.isEmpty || allowedSources.contains { $0.contains(address) }
    }
}

/// Counters of the datagram service.
public struct DatagramStatistics: Hashable, Sendable {
    /// Datagrams received on the UDP port.
    public var received: UInt64 = 0
    /// Messages queued into a mailslot of the service's own engine.
    public var delivered: UInt64 = 0
    /// Messages handed to another process's mailslot through the local transport.
    public var relayed: UInt64 = 0
    /// Datagrams not delivered, by cause (the kernel's own drops for the socket included).
    public var drops = DropCounters()
    /// Receive calls that failed with an error other than "nothing to read".
    public var receiveErrors: UInt64 = 0
    /// Datagrams this host's writers sent through the service's outbox, forwarded from its port.
    public var forwarded: UInt64 = 0
    /// Outbox datagrams the kernel refused to send (a full send buffer, an unreachable network).
    public var forwardFailed: UInt64 = 0
    /// Outbox datagrams refused because they were not mailslot writes.
    public var forwardRefused: UInt64 = 0

    /// All counters at zero.
    public init() {}
}
