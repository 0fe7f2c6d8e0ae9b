import CLibEv
import Glibc
import MailslotCore

/// The local transport's `recvmmsg` scaffolding, allocated once (a ``MessageVector``): message
/// headers, two iovecs per datagram, one overflow area and one control area per datagram.
///
/// Each datagram gets iovec 0 in ring space (the zero-copy part, sized to the mailslot's running
/// size estimate) and iovec 1 in its overflow area, so a message larger than the estimate is
/// received whole and then moved into the ring: the rare path that lets the estimate grow.
final class ReceiveBatch {
    let capacity: Int
    /// Headers, two parts per datagram, the overflow areas (the vector's buffers) and one
    /// control area per datagram: room for one descriptor (a datagram that carries one is a
    /// writer asking for the shared-memory ring, not a message) and, on a mailslot with an
    /// access list, the sender's credentials.
    private let vector: MessageVector

    init(capacity: Int, largestMessage: Int) {
        self.capacity = capacity
        vector = MessageVector(
            capacity: capacity, partsPerMessage: 2, bufferStride: largestMessage, bufferAlignment: 64,
            controlBytes: CLibEv_cmsg_space_fds(1) + CLibEv_cmsg_space_credentials())
    }

    func overflowArea(_ index: Int) -> UnsafeMutableRawPointer { vector.buffer(index) }

    /// Points datagram `index` at `ringBytes` of ring space, then `overflowBytes` of overflow.
    func prepare(_ index: Int, ring: UnsafeMutableRawPointer, ringBytes: Int, overflowBytes: Int) {
        vector.setPart(index, 0, ring, length: ringBytes)
        vector.setPart(index, 1, overflowArea(index), length: overflowBytes)
        vector.setHeader(index, parts: 2)
    }

    /// Points every datagram at its overflow area alone (`overflowBytes` each), for receives
    /// whose datagrams are counted and dropped, not kept.
    func prepareToDiscard(overflowBytes: Int) {
        for index in 0..<capacity {
            prepare(index, ring: overflowArea(index), ringBytes: 0, overflowBytes: overflowBytes)
        }
    }

    /// The full length of datagram `index` (with `MSG_TRUNC`, even when it was cut).
    func length(_ index: Int) -> Int { vector.length(index) }

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
        let cut = vector.flags(index) & Int32(MSG_CTRUNC) != 0
        guard cut || vector.withHeader(index, { $0.pointee.msg_controllen > 0 && CLibEv_cmsg_has_fds($0) != 0 }) else { return .none }
        return classifyDescriptors(index, cut: cut)
    }

    private func classifyDescriptors(_ index: Int, cut: Bool) -> Ancillary {
        var fds = [Int32](repeating: -1, count: 2)
        // Closes any beyond 2; the credentials stay readable for the access check.
        let taken = vector.withHeader(index) { Int(CLibEv_cmsg_get_fds($0, &fds, 2)) }
        if !cut, taken == 1, length(index) == 1, firstByte(index) == Self.ringRequestMarker { return .ringRequest(fds[0]) }
        for fd in fds.prefix(taken) { system_close(fd) }
        return .refused
    }

    /// The first byte of datagram `index` (in ring space, or in its overflow area when the
    /// ring part was empty); `nil` for an empty datagram.
    private func firstByte(_ index: Int) -> UInt8? {
        for part in 0..<2 {
            let bytes = vector.part(index, part)
            if bytes.iov_len > 0 { return bytes.iov_base.load(as: UInt8.self) }
        }
        return nil
    }

    /// Whether the sender of datagram `index` may write, by the credentials the kernel attached
    /// (`SO_PASSCRED`). A datagram without them is refused.
    func senderAllowed(_ index: Int, _ writers: WriterAccess, creator: UInt32) -> Bool {
        var uid: UInt32 = 0
        var gid: UInt32 = 0
        guard vector.withHeader(index, { CLibEv_cmsg_get_credentials($0, &uid, &gid) }) != 0 else { return false }
        return writers.allows(uid: uid, gid: gid, creator: creator)
    }

    /// The credentials the kernel attached to datagram `index`, if any.
    func senderCredentials(_ index: Int) -> (uid: UInt32, gid: UInt32)? {
        var uid: UInt32 = 0
        var gid: UInt32 = 0
        return vector.withHeader(index, { CLibEv_cmsg_get_credentials($0, &uid, &gid) }) != 0 ? (uid, gid) : nil
    }

    /// Makes datagram `index` read as longer than any message, so the commit skips it (it was
    /// a request, answered already).
    func markNotAMessage(_ index: Int) { vector.setLength(index, UInt32.max) }

    /// Receives up to `count` datagrams into the prepared buffers (descriptors close-on-exec).
    func receive(fd: Int32, count: Int) throws(SyscallError) -> IOResult<Int32> {
        try vector.receive(fd, count: count, flags: Int32(MSG_TRUNC) | Int32(MSG_CMSG_CLOEXEC))
    }
}
