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

    /// What a datagram carried besides its bytes.
    enum Ancillary {
        /// Nothing (or only the sender's credentials): a message.
        case none
        /// A writer's request for the shared-memory ring: the one marker byte and one socket
        /// descriptor (now the caller's, to answer on and close).
        case ringRequest(Int32)
        /// Descriptors, or control data the kernel had to cut, on anything else: not a message
        /// a mailslot can deliver. Its descriptors are closed already.
        case refused
    }

    /// The marker byte of a ring request (see `DescriptorTransfer`).
    static let ringRequestMarker: UInt8 = 0x4D

    /// Classifies datagram `index` by its control data (a cheap test first: most datagrams
    /// carry none). Descriptors it carried are taken: returned for a ring request, closed
    /// otherwise, so none ever stays open.
    @inline(__always) func ancillary(_ index: Int) -> Ancillary {
        let header = headers[index].msg_hdr
        let cut = header.msg_flags & Int32(MSG_CTRUNC) != 0
        guard cut || (header.msg_controllen > 0 && CLibEv_cmsg_has_fds(&headers[index].msg_hdr) != 0) else { return .none }
        return classifyDescriptors(index, cut: cut)
    }

    private func classifyDescriptors(_ index: Int, cut: Bool) -> Ancillary {
        var fds = [Int32](repeating: -1, count: 2)
        // Closes any beyond 2; the credentials stay readable for the access check.
        let taken = Int(CLibEv_cmsg_get_fds(&headers[index].msg_hdr, &fds, 2))
        if !cut, taken == 1, length(index) == 1, firstByte(index) == Self.ringRequestMarker { return .ringRequest(fds[0]) }
        for fd in fds.prefix(taken) { system_close(fd) }
        return .refused
    }

    /// The first byte of datagram `index` (in ring space, or in its overflow area when the
    /// ring part was empty); `nil` for an empty datagram.
    private func firstByte(_ index: Int) -> UInt8? {
        let vector = headers[index].msg_hdr.msg_iov!
        for part in 0..<Int(headers[index].msg_hdr.msg_iovlen) where vector[part].iov_len > 0 {
            return vector[part].iov_base.load(as: UInt8.self)
        }
        return nil
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

    /// Makes datagram `index` read as longer than any message, so the commit skips it (it was
    /// a request, answered already).
    func markNotAMessage(_ index: Int) { headers[index].msg_len = UInt32.max }

    /// Receives up to `count` datagrams into the prepared buffers (descriptors close-on-exec).
    func receive(fd: Int32, count: Int) throws(SyscallError) -> IOResult<Int32> {
        try system_recvmmsg(fd, headers, count, flags: Int32(MSG_TRUNC) | Int32(MSG_CMSG_CLOEXEC))
    }
}
