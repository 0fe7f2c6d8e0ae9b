import CLibEv
import Glibc
import MailslotWire

/// The datagram service's outbox: how a writer in any process of this host sends its MS-MAIL
/// datagrams from the service's own UDP port (138), as Windows and nmbd do, instead of from an
/// ephemeral port.
///
/// The service binds an abstract Unix datagram socket `mailslot-outbox/<port>`; a writer that
/// can connect to it sends each datagram there with its destination in front, and the service
/// forwards it from its UDP socket with SOURCE_PORT set to that port. A writer that cannot
/// connect (no service runs) sends from its own ephemeral port and says so in SOURCE_PORT.
///
/// One outbox datagram:
/// ```
///  0                   4         6
///  +-------------------+---------+--------------------------------------------+
///  | destination IPv4  | port    | NetBIOS datagram (RFC 1002 §4.4.1), whole  |
///  +-------------------+---------+--------------------------------------------+
///    big-endian          big-endian
/// ```
/// The service forwards only what decodes as a mailslot write, so the outbox lends port 138 to
/// mailslot messages and nothing else.
enum Outbox {
    /// Bytes in front of each datagram.
    static let prefixLength = 6
    /// Offset of SOURCE_PORT in a NetBIOS datagram header.
    static let sourcePortOffset = 8

    /// The outbox of the service on UDP `port`.
    static func address(port: UInt16) -> UnixAddress { UnixAddress(name: Array("mailslot-outbox/\(port)".utf8)) }

    /// Writes `destination` in front of a datagram.
    static func writePrefix(_ destination: IPv4Endpoint, into buffer: UnsafeMutableRawPointer) {
        buffer.storeBytes(of: destination.address.bigEndian, as: UInt32.self)
        buffer.storeBytes(of: destination.port.bigEndian, toByteOffset: 4, as: UInt16.self)
    }

    /// A socket connected to the outbox of the service on `port`, or `nil` when none runs.
    static func connect(port: UInt16) -> Int32? {
        guard let fd = try? system_socket(domain: AF_UNIX, type: Int32(SOCK_DGRAM.rawValue)) else { return nil }
        guard (try? system_connect(fd, address(port: port))) != nil else {
            system_close(fd)
            return nil
        }
        _ = try? system_setsockopt(fd, level: SOL_SOCKET, name: SO_SNDBUF, value: 1 << 20)
        return fd
    }
}

/// The service's end of the outbox: receives writers' datagrams and forwards them from UDP.
final class OutboxForwarder {
    /// The bound socket writers send to (closed with the forwarder).
    private let socket: Descriptor
    /// Its number.
    var fd: Int32 { socket.rawValue }
    /// Headers and one buffer per datagram.
    private let vector = MessageVector(capacity: batchSize, bufferStride: slotBytes)
    static let batchSize = 32
    static let slotBytes = 2048

    /// Binds the outbox of the service on `port`.
    init(port: UInt16) throws(SyscallError) {
        let socket = Descriptor(owning: try system_socket(domain: AF_UNIX, type: Int32(SOCK_DGRAM.rawValue)))
        try system_bind(socket.rawValue, Outbox.address(port: port))  // a failure closes the socket as it goes
        self.socket = socket
        for index in 0..<Self.batchSize { vector.setPart(index, 0, vector.buffer(index), length: Self.slotBytes) }
    }

    /// Forwards up to a batch of waiting datagrams from `udp` with SOURCE_PORT `port`.
    /// - Returns: whether a full batch came (more may wait).
    func forward(through udp: Int32, port: UInt16, statistics: inout DatagramStatistics) -> Bool {
        for index in 0..<Self.batchSize { vector.setHeader(index, parts: 1) }
        guard case .processed(let received)? = try? vector.receive(fd, count: Self.batchSize, flags: Int32(MSG_TRUNC)) else {
            return false
        }
        for index in 0..<Int(received) {
            let length = vector.length(index)
            let base = vector.buffer(index)
            let datagram = UnsafeRawBufferPointer(start: base + Outbox.prefixLength, count: max(0, min(length, Self.slotBytes) - Outbox.prefixLength))
            guard length <= Self.slotBytes, length > Outbox.prefixLength, (try? MailslotDatagram.decode(datagram.bytes)) != nil else {
                statistics.forwardRefused &+= 1
                continue
            }
            let destination = IPv4Endpoint(
                address: UInt32(bigEndian: base.loadUnaligned(as: UInt32.self)),
                port: UInt16(bigEndian: base.loadUnaligned(fromByteOffset: 4, as: UInt16.self)))
            (base + Outbox.prefixLength).storeBytes(of: port.bigEndian, toByteOffset: Outbox.sourcePortOffset, as: UInt16.self)
            switch try? system_sendto(udp, datagram, to: destination) {
            case .processed?: statistics.forwarded &+= 1
            default: statistics.forwardFailed &+= 1
            }
        }
        return Int(received) == Self.batchSize
    }
}
