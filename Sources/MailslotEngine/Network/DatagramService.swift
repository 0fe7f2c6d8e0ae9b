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
    let fd: Int32
    let configuration: NetworkConfiguration
    let watcher: UnsafeMutablePointer<ev_io>
    let computer: NetBIOSName
    let domain: NetBIOSName
    /// Unbound AF_UNIX datagram socket used to relay to other processes' mailslots.
    let relay: Int32
    /// Where this host's writers hand datagrams to be sent from the service's port.
    let outbox: OutboxForwarder
    /// The UDP port the service owns.
    let port: UInt16
    /// The source allow-list (empty: any sender).
    let allowedSources: [IPv4Network]
    @exclusivity(unchecked) var statistics = DatagramStatistics()
    /// Slots that got messages in the current batch (delivered once at its end).
    @exclusivity(unchecked) var touchedSlots: [Int] = []
    /// The last receive failure not reported yet (the engine logs and clears it).
    var lastReceiveError: SyscallError?
    /// Datagrams the last `recvmmsg` filled (their headers need resetting before the next).
    private(set) var batchCount = 0
    /// The first datagram of the batch not handled yet. Handling goes by this shared cursor, so
    /// a callback that runs the loop (which may receive the next batch into the same buffers)
    /// first finishes this batch: nothing is handled twice or overwritten unhandled.
    @exclusivity(unchecked) var nextDatagram = 0

    static let batchSize = 32
    static let slotBytes = 2048
    let headers: UnsafeMutablePointer<CLibEv_mmsghdr>
    let iovecs: UnsafeMutablePointer<iovec>
    let addresses: UnsafeMutablePointer<sockaddr_in>
    let buffers: UnsafeMutableRawPointer
    /// One control buffer per datagram, for the `SO_RXQ_OVFL` counter.
    let controls: UnsafeMutableRawPointer
    static let controlBytes = CLibEv_cmsg_space_drops()

    init(configuration: NetworkConfiguration) throws(MailslotError) {
        self.configuration = configuration
        allowedSources = configuration.allowedSources
        computer = configuration.name(suffix: 0)
        domain = configuration.domainName(suffix: 0)
        let fd: Int32
        do {
            fd = try system_socket(domain: AF_INET, type: Int32(SOCK_DGRAM.rawValue))
        } catch {
            throw error.mailslotError
        }
        do {
            try system_setsockopt(fd, level: SOL_SOCKET, name: SO_BROADCAST, value: 1)
            // Every datagram then carries the socket's cumulative kernel drop count.
            try system_setsockopt(fd, level: SOL_SOCKET, name: SO_RXQ_OVFL, value: 1)
            let buffer = Int32(clamping: configuration.receiveBufferBytes)
            if (try? system_setsockopt(fd, level: SOL_SOCKET, name: SO_RCVBUFFORCE, value: buffer)) == nil {
                try? system_setsockopt(fd, level: SOL_SOCKET, name: SO_RCVBUF, value: buffer)
            }
            let address = IPv4Endpoint(configuration.bindAddress, port: configuration.udpPort)?.address ?? 0
            try system_bind(fd, IPv4Endpoint(address: address, port: configuration.udpPort))
            port = try system_localEndpoint(fd).port
            outbox = try OutboxForwarder(port: port)
            relay = try system_socket(domain: AF_UNIX, type: Int32(SOCK_DGRAM.rawValue))
        } catch {
            system_close(fd)
            if error.errno == EADDRINUSE {
                throw .alreadyExists("UDP port \(configuration.udpPort) (another datagram service runs on this host)")
            }
            if error.errno == EACCES {
                throw .invalidParameter("UDP port \(configuration.udpPort) needs root or CAP_NET_BIND_SERVICE")
            }
            throw error.mailslotError
        }
        self.fd = fd
        watcher = .allocate(capacity: 1)
        headers = .allocate(capacity: Self.batchSize)
        headers.initialize(repeating: CLibEv_mmsghdr(), count: Self.batchSize)
        iovecs = .allocate(capacity: Self.batchSize)
        addresses = .allocate(capacity: Self.batchSize)
        addresses.initialize(repeating: sockaddr_in(), count: Self.batchSize)
        buffers = .allocate(byteCount: Self.batchSize * Self.slotBytes, alignment: 64)
        controls = .allocate(byteCount: Self.batchSize * Self.controlBytes, alignment: 8)
        controls.initializeMemory(as: UInt8.self, repeating: 0, count: Self.batchSize * Self.controlBytes)
        touchedSlots.reserveCapacity(Self.batchSize)
        for index in 0..<Self.batchSize {
            iovecs[index] = iovec(iov_base: buffers + index * Self.slotBytes, iov_len: Self.slotBytes)
            headers[index].msg_hdr = msghdr(
                msg_name: UnsafeMutableRawPointer(addresses + index), msg_namelen: socklen_t(MemoryLayout<sockaddr_in>.size),
                msg_iov: iovecs + index, msg_iovlen: 1, msg_control: controls + index * Self.controlBytes,
                msg_controllen: Self.controlBytes, msg_flags: 0)
        }
    }

    deinit {
        system_close(fd)
        system_close(relay)
        watcher.deallocate()
        headers.deallocate()
        iovecs.deallocate()
        addresses.deallocate()
        buffers.deallocate()
        controls.deallocate()
    }

    /// One `recvmmsg`; returns how many datagrams arrived. The headers are set up once; only
    /// what the kernel changed in the last batch is reset. A failed call is counted in
    /// ``DatagramStatistics/receiveErrors`` and reads as an empty batch. The last batch must
    /// have been handled (``nextDatagram`` at its end).
    func receiveBatch() -> Int {
        precondition(nextDatagram == batchCount, "a batch was received over one not handled yet")
        for index in 0..<batchCount {
            headers[index].msg_hdr.msg_namelen = socklen_t(MemoryLayout<sockaddr_in>.size)
            headers[index].msg_hdr.msg_controllen = Self.controlBytes
            headers[index].msg_hdr.msg_flags = 0
            headers[index].msg_len = 0
        }
        batchCount = 0
        nextDatagram = 0
        let result: IOResult<Int32>
        do {
            result = try system_recvmmsg(fd, headers, Self.batchSize, flags: Int32(MSG_TRUNC))
        } catch {
            statistics.receiveErrors &+= 1
            lastReceiveError = error
            return 0
        }
        guard case .processed(let count) = result else { return 0 }
        batchCount = Int(count)
        if count > 0 { noteKernelDrops(CLibEv_cmsg_get_drops(&headers[Int(count) - 1].msg_hdr)) }
        return Int(count)
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
    func datagram(_ index: Int) -> (bytes: UnsafeRawBufferPointer, length: Int, sender: IPv4Endpoint) {
        let length = Int(headers[index].msg_len)
        let bytes = UnsafeRawBufferPointer(start: buffers + index * Self.slotBytes, count: min(length, Self.slotBytes))
        return (bytes, length, IPv4Endpoint(addresses[index]))
    }

    /// Sends `payload` to the local mailslot whose path hashes to `hash` (an address written in
    /// place: no allocation).
    func relay(_ payload: UnsafeRawBufferPointer, to hash: PathHash) -> Result<IOResult<Int>, SyscallError> {
        Result { () throws(SyscallError) in try system_sendto(relay, payload, to: hash) }
    }

    /// Whether a datagram is for this host: addressed to its computer name or its domain
    /// (any suffix). A BROADCAST datagram must name one of them too, or `*`: broadcasts meant
    /// for another domain on the same wire are not taken.
    func isAddressedHere(_ datagram: MailslotDatagram) -> Bool {
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
