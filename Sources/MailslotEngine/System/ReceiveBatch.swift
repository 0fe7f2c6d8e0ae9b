import CLibEv
import Glibc

/// The engine's `recvmmsg` scaffolding, allocated once: message headers, two iovecs per
/// datagram, and one overflow area per datagram.
///
/// Each datagram gets iovec 0 in ring space (the zero-copy part, sized to the mailslot's running
/// size estimate) and iovec 1 in its overflow area, so a message larger than the estimate is
/// received whole and then moved into the ring: the rare path that lets the estimate grow.
final class ReceiveBatch {
    let capacity: Int
    let headers: UnsafeMutablePointer<CLibEv_mmsghdr>
    let iovecs: UnsafeMutablePointer<iovec>
    let overflow: UnsafeMutableRawPointer
    /// Bytes of overflow area per datagram: the largest local message.
    let overflowStride: Int

    init(capacity: Int, largestMessage: Int) {
        self.capacity = capacity
        self.overflowStride = (largestMessage + 63) & ~63
        headers = .allocate(capacity: capacity)
        headers.initialize(repeating: CLibEv_mmsghdr(), count: capacity)
        iovecs = .allocate(capacity: capacity * 2)
        iovecs.initialize(repeating: iovec(), count: capacity * 2)
        overflow = .allocate(byteCount: capacity * overflowStride, alignment: 64)
    }

    deinit {
        headers.deallocate()
        iovecs.deallocate()
        overflow.deallocate()
    }

    func overflowArea(_ index: Int) -> UnsafeMutableRawPointer { overflow + index * overflowStride }

    /// Points datagram `index` at `ringBytes` of ring space, then `overflowBytes` of overflow.
    func prepare(_ index: Int, ring: UnsafeMutableRawPointer, ringBytes: Int, overflowBytes: Int) {
        let vector = iovecs + index * 2
        vector[0] = iovec(iov_base: ring, iov_len: ringBytes)
        vector[1] = iovec(iov_base: overflowArea(index), iov_len: overflowBytes)
        headers[index].msg_hdr = msghdr(
            msg_name: nil, msg_namelen: 0, msg_iov: vector, msg_iovlen: 2,
            msg_control: nil, msg_controllen: 0, msg_flags: 0)
        headers[index].msg_len = 0
    }

    /// Points every datagram at its overflow area alone (`overflowBytes` each), for receives
    /// whose datagrams are counted and dropped, not kept.
    func prepareToDiscard(overflowBytes: Int) {
        for index in 0..<capacity {
            prepare(index, ring: overflowArea(index), ringBytes: 0, overflowBytes: overflowBytes)
        }
    }

    /// The full length of datagram `index` (with `MSG_TRUNC`, even when it was cut).
    func length(_ index: Int) -> Int { Int(headers[index].msg_len) }

    /// Receives up to `count` datagrams into the prepared buffers.
    func receive(fd: Int32, count: Int) throws(SyscallError) -> IOResult<Int32> {
        try system_recvmmsg(fd, headers, count, flags: Int32(MSG_TRUNC))
    }
}
