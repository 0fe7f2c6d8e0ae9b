import CLibEv
import Glibc

/// The one builder of `mmsghdr`/`iovec` arrays: every batched receive (`recvmmsg`) and send
/// (`sendmmsg`) of the engine goes through one of these, so the stride arithmetic lives here
/// alone.
///
/// It owns, allocated together and never moved while a call runs:
///
/// ```
/// headers   [ mmsghdr 0 ][ mmsghdr 1 ] …                 one per message
/// parts     [ iov 0.0 ][ iov 0.1 ][ iov 1.0 ][ iov 1.1 ] …  partsPerMessage per message
/// buffers   [ buffer 0 ……… bufferStride ][ buffer 1 ……… ] …  optional, one per message
/// names     [ sockaddr 0 ][ sockaddr 1 ] …               optional (senders' addresses)
/// controls  [ cmsg 0 ][ cmsg 1 ] …                       optional (descriptors, credentials, drops)
/// ```
///
/// ``setHeader(_:parts:named:)`` points header `i` at its own parts, name and control area;
/// the parts point wherever the owner says (into a ring, or into the owned buffers).
final class MessageVector {
    /// Messages it holds room for.
    private(set) var capacity: Int
    /// iovecs per message (1, or 2 for ring space then an overflow area).
    let partsPerMessage: Int
    /// Bytes of owned buffer per message (0: none; the parts point elsewhere).
    let bufferStride: Int
    /// Bytes of address per message (0: none).
    let nameBytes: Int
    /// Bytes of control data per message (0: none).
    let controlBytes: Int
    private let bufferAlignment: Int
    private var headers: UnsafeMutablePointer<CLibEv_mmsghdr>
    private var parts: UnsafeMutablePointer<iovec>
    private var buffers: UnsafeMutableRawPointer
    private var names: UnsafeMutableRawPointer
    private var controls: UnsafeMutableRawPointer

    /// Room for `capacity` messages of `partsPerMessage` iovecs each, and per message
    /// `bufferStride` bytes of buffer (rounded up to `bufferAlignment`), `nameBytes` of address
    /// and `controlBytes` of control data.
    init(capacity: Int, partsPerMessage: Int = 1, bufferStride: Int = 0, bufferAlignment: Int = 16, nameBytes: Int = 0, controlBytes: Int = 0) {
        precondition(capacity > 0 && partsPerMessage > 0)
        self.capacity = capacity
        self.partsPerMessage = partsPerMessage
        self.bufferAlignment = bufferAlignment
        self.bufferStride = (bufferStride + bufferAlignment - 1) & ~(bufferAlignment - 1)
        self.nameBytes = nameBytes
        self.controlBytes = controlBytes
        (headers, parts, buffers, names, controls) = Self.allocate(
            capacity, partsPerMessage: partsPerMessage, bufferStride: self.bufferStride, bufferAlignment: bufferAlignment,
            nameBytes: nameBytes, controlBytes: controlBytes)
    }

    deinit {
        free()
    }

    private static func allocate(
        _ capacity: Int, partsPerMessage: Int, bufferStride: Int, bufferAlignment: Int, nameBytes: Int, controlBytes: Int
    ) -> (UnsafeMutablePointer<CLibEv_mmsghdr>, UnsafeMutablePointer<iovec>, UnsafeMutableRawPointer, UnsafeMutableRawPointer, UnsafeMutableRawPointer) {
        let headers = UnsafeMutablePointer<CLibEv_mmsghdr>.allocate(capacity: capacity)
        headers.initialize(repeating: CLibEv_mmsghdr(), count: capacity)
        let parts = UnsafeMutablePointer<iovec>.allocate(capacity: capacity * partsPerMessage)
        parts.initialize(repeating: iovec(), count: capacity * partsPerMessage)
        let buffers = UnsafeMutableRawPointer.allocate(byteCount: max(1, capacity * bufferStride), alignment: bufferAlignment)
        let names = UnsafeMutableRawPointer.allocate(byteCount: max(1, capacity * nameBytes), alignment: 8)
        names.initializeMemory(as: UInt8.self, repeating: 0, count: max(1, capacity * nameBytes))
        let controls = UnsafeMutableRawPointer.allocate(byteCount: max(1, capacity * controlBytes), alignment: 8)
        controls.initializeMemory(as: UInt8.self, repeating: 0, count: max(1, capacity * controlBytes))
        return (headers, parts, buffers, names, controls)
    }

    private func free() {
        headers.deallocate()
        parts.deallocate()
        buffers.deallocate()
        names.deallocate()
        controls.deallocate()
    }

    /// Makes room for at least `count` messages; what it held is dropped (call it between
    /// batches only).
    func reserve(_ count: Int) {
        guard count > capacity else { return }
        free()
        capacity = count
        (headers, parts, buffers, names, controls) = Self.allocate(
            count, partsPerMessage: partsPerMessage, bufferStride: bufferStride, bufferAlignment: bufferAlignment,
            nameBytes: nameBytes, controlBytes: controlBytes)
    }

    // MARK: Building

    /// Message `index`'s owned buffer (``bufferStride`` bytes).
    @inline(__always) func buffer(_ index: Int) -> UnsafeMutableRawPointer { buffers + index * bufferStride }

    /// Message `index`'s address area (``nameBytes`` bytes).
    @inline(__always) func name(_ index: Int) -> UnsafeMutableRawPointer { names + index * nameBytes }

    /// Points part `part` of message `index` at `length` bytes from `base`.
    @inline(__always) func setPart(_ index: Int, _ part: Int, _ base: UnsafeMutableRawPointer?, length: Int) {
        parts[index * partsPerMessage + part] = iovec(iov_base: base, iov_len: length)
    }

    /// Sets message `index`'s header: its first `parts` iovecs, its own address area (when it
    /// has one and `named`; a send on a connected socket names none), its own control area,
    /// and a zero length and flags.
    @inline(__always) func setHeader(_ index: Int, parts count: Int, named: Bool = true) {
        let hasName = named && nameBytes > 0
        headers[index].msg_hdr = msghdr(
            msg_name: hasName ? name(index) : nil, msg_namelen: socklen_t(hasName ? nameBytes : 0),
            msg_iov: parts + index * partsPerMessage, msg_iovlen: count,
            msg_control: controlBytes > 0 ? controls + index * controlBytes : nil, msg_controllen: controlBytes, msg_flags: 0)
        headers[index].msg_len = 0
    }

    /// Makes message `index` ready for another receive into the same parts: resets what the
    /// kernel changed (address and control lengths, flags, length).
    @inline(__always) func resetForReceive(_ index: Int) {
        headers[index].msg_hdr.msg_namelen = socklen_t(nameBytes)
        headers[index].msg_hdr.msg_controllen = controlBytes
        headers[index].msg_hdr.msg_flags = 0
        headers[index].msg_len = 0
    }

    // MARK: Reading what the kernel filled in

    /// Bytes of message `index` (with `MSG_TRUNC`, its full length even when it was cut).
    @inline(__always) func length(_ index: Int) -> Int { Int(headers[index].msg_len) }

    /// Sets message `index`'s length as the kernel would (for a message to be skipped, say).
    @inline(__always) func setLength(_ index: Int, _ length: UInt32) { headers[index].msg_len = length }

    /// The `msg_flags` the kernel set on message `index`.
    @inline(__always) func flags(_ index: Int) -> Int32 { headers[index].msg_hdr.msg_flags }

    /// The bytes of part `part` of message `index`, as pointed.
    @inline(__always) func part(_ index: Int, _ part: Int) -> iovec { parts[index * partsPerMessage + part] }

    /// Calls `body` with message `index`'s header, for the control-data readers.
    @inline(__always) func withHeader<R>(_ index: Int, _ body: (UnsafeMutablePointer<msghdr>) -> R) -> R {
        withUnsafeMutablePointer(to: &headers[index].msg_hdr) { body($0) }
    }

    // MARK: Calls

    /// `recvmmsg` of up to `count` messages (non-blocking).
    func receive(_ fd: Int32, count: Int, flags: Int32) throws(SyscallError) -> IOResult<Int32> {
        try system_recvmmsg(fd, headers, min(count, capacity), flags: flags)
    }

    /// `sendmmsg` of messages `first..<first+count`.
    func send(_ fd: Int32, from first: Int = 0, count: Int, blocking: Bool) throws(SyscallError) -> IOResult<Int32> {
        try system_sendmmsg(fd, headers + first, count, blocking: blocking)
    }
}
