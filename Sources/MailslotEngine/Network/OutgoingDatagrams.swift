import CLibEv
import Glibc

/// Encoded datagrams with their iovecs, headers and destination address, for `sendmmsg`:
/// memory allocated once (grown to the largest batch, a ``MessageVector``) that never moves
/// while a send runs.
final class OutgoingDatagrams {
    static let stride = 1024
    private let vector = MessageVector(capacity: 1, bufferStride: stride, nameBytes: MemoryLayout<sockaddr_in>.size)

    /// Makes room for `count` datagrams.
    func reserve(_ count: Int) -> OutgoingDatagrams {
        vector.reserve(count)
        return self
    }

    /// The buffer datagram `index` is encoded into.
    func slot(_ index: Int) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: vector.buffer(index), count: Self.stride)
    }

    /// Datagram `index` is `length` bytes long.
    func setLength(_ index: Int, _ length: Int) {
        vector.setPart(index, 0, vector.buffer(index), length: length)
    }

    /// Points the first `count` headers at `destination` (`nil`: a connected socket's peer).
    func address(_ count: Int, to destination: IPv4Endpoint?) {
        var target = sockaddr_in()
        target.sin_family = sa_family_t(AF_INET)
        target.sin_port = (destination?.port ?? 0).bigEndian
        target.sin_addr = in_addr(s_addr: (destination?.address ?? 0).bigEndian)
        for index in 0..<count {
            vector.name(index).storeBytes(of: target, as: sockaddr_in.self)
            vector.setHeader(index, parts: 1, named: destination != nil)
        }
    }

    /// `sendmmsg` of datagrams `first..<first+count`, not blocking.
    func send(_ fd: Int32, from first: Int, count: Int) throws(SyscallError) -> IOResult<Int32> {
        try vector.send(fd, from: first, count: count, blocking: false)
    }
}
