import CLibEv
import Glibc

/// Encoded datagrams with their iovecs, headers and destination address, for `sendmmsg`:
/// memory allocated once (grown to the largest batch) that never moves while a send runs.
final class OutgoingDatagrams {
    static let stride = 1024
    private(set) var capacity = 0
    private(set) var headers = UnsafeMutablePointer<CLibEv_mmsghdr>.allocate(capacity: 1)
    private var vectors = UnsafeMutablePointer<iovec>.allocate(capacity: 1)
    private var buffers = UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 16)
    private let target = UnsafeMutablePointer<sockaddr_in>.allocate(capacity: 1)

    deinit {
        headers.deallocate()
        vectors.deallocate()
        buffers.deallocate()
        target.deallocate()
    }

    /// Makes room for `count` datagrams.
    func reserve(_ count: Int) -> OutgoingDatagrams {
        guard count > capacity else { return self }
        headers.deallocate()
        vectors.deallocate()
        buffers.deallocate()
        capacity = count
        headers = .allocate(capacity: count)
        headers.initialize(repeating: CLibEv_mmsghdr(), count: count)
        vectors = .allocate(capacity: count)
        buffers = .allocate(byteCount: count * Self.stride, alignment: 16)
        return self
    }

    /// The buffer datagram `index` is encoded into.
    func slot(_ index: Int) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: buffers + index * Self.stride, count: Self.stride)
    }

    func setLength(_ index: Int, _ length: Int) {
        vectors[index] = iovec(iov_base: buffers + index * Self.stride, iov_len: length)
    }

    /// Points the first `count` headers at `destination` (`nil`: a connected socket's peer).
    func address(_ count: Int, to destination: IPv4Endpoint?) {
        target.pointee = sockaddr_in()
        target.pointee.sin_family = sa_family_t(AF_INET)
        target.pointee.sin_port = (destination?.port ?? 0).bigEndian
        target.pointee.sin_addr = in_addr(s_addr: (destination?.address ?? 0).bigEndian)
        for index in 0..<count {
            headers[index].msg_hdr = msghdr(
                msg_name: destination == nil ? nil : UnsafeMutableRawPointer(target),
                msg_namelen: destination == nil ? 0 : socklen_t(MemoryLayout<sockaddr_in>.size),
                msg_iov: vectors + index, msg_iovlen: 1, msg_control: nil, msg_controllen: 0, msg_flags: 0)
            headers[index].msg_len = 0
        }
    }
}
