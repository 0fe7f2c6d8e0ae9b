import CLibEv
import Glibc
import MailslotCore

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
    /// One control area per datagram, room for one descriptor: a datagram that carries one is
    /// a writer asking for the shared-memory ring, not a message.
    let control: UnsafeMutableRawPointer
    let controlStride: Int

    init(capacity: Int, largestMessage: Int) {
        self.capacity = capacity
        self.overflowStride = (largestMessage + 63) & ~63
        headers = .allocate(capacity: capacity)
        headers.initialize(repeating: CLibEv_mmsghdr(), count: capacity)
        iovecs = .allocate(capacity: capacity * 2)
        iovecs.initialize(repeating: iovec(), count: capacity * 2)
        overflow = .allocate(byteCount: capacity * overflowStride, alignment: 64)
        // Room for one descriptor and, on a mailslot with an access list, the sender's
        // credentials.
        controlStride = CLibEv_cmsg_space_fds(1) + CLibEv_cmsg_space_credentials()
        control = .allocate(byteCount: capacity * controlStride, alignment: 8)
    }

    deinit {
        headers.deallocate()
        iovecs.deallocate()
        overflow.deallocate()
        control.deallocate()
    }

    func overflowArea(_ index: Int) -> UnsafeMutableRawPointer { overflow + index * overflowStride }

    /// Points datagram `index` at `ringBytes` of ring space, then `overflowBytes` of overflow.
    func prepare(_ index: Int, ring: UnsafeMutableRawPointer, ringBytes: Int, overflowBytes: Int) {
        let vector = iovecs + index * 2
        vector[0] = iovec(iov_base: ring, iov_len: ringBytes)
        vector[1] = iovec(iov_base: overflowArea(index), iov_len: overflowBytes)
        headers[index].msg_hdr = msghdr(
            msg_name: nil, msg_namelen: 0, msg_iov: vector, msg_iovlen: 2,
            msg_control: control + index * controlStride, msg_controllen: controlStride, msg_flags: 0)
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

    /// `true` when datagram `index` carried descriptors: a request, not a message.
    @inline(__always) func carriesDescriptors(_ index: Int) -> Bool {
        headers[index].msg_hdr.msg_controllen > 0 && CLibEv_cmsg_has_fds(&headers[index].msg_hdr) != 0
    }

    /// Whether the sender of datagram `index` may write, by the credentials the kernel attached
    /// (`SO_PASSCRED`). A datagram without them is refused.
    func senderAllowed(_ index: Int, _ writers: WriterAccess, creator: UInt32) -> Bool {
        var uid: UInt32 = 0
        var gid: UInt32 = 0
        guard CLibEv_cmsg_get_credentials(&headers[index].msg_hdr, &uid, &gid) != 0 else { return false }
        return writers.allows(uid: uid, gid: gid, creator: creator)
    }

    /// The credentials the kernel attached to datagram `index`, if any.
    func senderCredentials(_ index: Int) -> (uid: UInt32, gid: UInt32)? {
        var uid: UInt32 = 0
        var gid: UInt32 = 0
        return CLibEv_cmsg_get_credentials(&headers[index].msg_hdr, &uid, &gid) != 0 ? (uid, gid) : nil
    }

    /// Takes the descriptor datagram `index` carried (closing any others), or -1.
    func takeDescriptor(_ index: Int) -> Int32 {
        var fd: Int32 = -1
        let taken = CLibEv_cmsg_get_fds(&headers[index].msg_hdr, &fd, 1)
        headers[index].msg_hdr.msg_controllen = 0
        return taken == 1 ? fd : -1
    }

    /// Makes datagram `index` read as longer than any message, so the commit skips it (it was
    /// a request, answered already).
    func markNotAMessage(_ index: Int) { headers[index].msg_len = UInt32.max }

    /// Receives up to `count` datagrams into the prepared buffers (descriptors close-on-exec).
    func receive(fd: Int32, count: Int) throws(SyscallError) -> IOResult<Int32> {
        try system_recvmmsg(fd, headers, count, flags: Int32(MSG_TRUNC) | Int32(MSG_CMSG_CLOEXEC))
    }
}
