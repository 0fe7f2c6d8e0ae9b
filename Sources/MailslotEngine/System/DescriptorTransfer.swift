import CLibEv
import Glibc

/// Sends and receives descriptors over a Unix socket (`SCM_RIGHTS`), with one marker byte: a
/// mailslot handle passed to another process, or a shared-memory ring given to a writer.
enum DescriptorTransfer {
    /// The most descriptors one transfer carries.
    static let maximum = 4

    /// Sends `fds` (at most ``maximum``). With `waiting: false` it never blocks: a full socket
    /// fails with EAGAIN.
    static func send(_ fds: [Int32], over socket: Int32, waiting: Bool = true) throws(SyscallError) {
        precondition(!fds.isEmpty && fds.count <= maximum)
        let result = withMarkerMessage(0x4D, descriptors: fds.count) { message in
            fds.withUnsafeBufferPointer { CLibEv_cmsg_put_fds(&message, $0.baseAddress, Int32(fds.count)) }
            return Result { () throws(SyscallError) in try system_sendmsg(socket, &message, flags: waiting ? 0 : Int32(MSG_DONTWAIT)) }
        }
        if case .wouldBlock = try result.get() { throw SyscallError("sendmsg", errno: EAGAIN) }
    }

    /// Waits for descriptors sent by ``send(_:over:)``, at most `timeoutMilliseconds` (`-1`:
    /// no limit). Descriptors beyond `count` are closed.
    /// - Throws: ECONNRESET when the other end closed without sending, ETIMEDOUT on timeout,
    ///   EBADMSG when the message carried no descriptor.
    static func receive(over socket: Int32, count: Int = 1, timeoutMilliseconds: Int32 = -1) throws(SyscallError) -> [Int32] {
        precondition(count >= 1 && count <= maximum)
        var received = [Int32](repeating: -1, count: count)
        let deadline = timeoutMilliseconds < 0 ? nil : system_monotonicSeconds() + Double(timeoutMilliseconds) / 1000
        while true {
            let result = withMarkerMessage(0, descriptors: maximum) { message in
                Result { () throws(SyscallError) -> Int? in
                    switch try system_recvmsg(socket, &message, flags: Int32(MSG_CMSG_CLOEXEC) | Int32(MSG_DONTWAIT)) {
                    case .wouldBlock: return nil
                    case .processed(0): throw SyscallError("recvmsg", errno: ECONNRESET)
                    case .processed:
                        return Int(received.withUnsafeMutableBufferPointer { CLibEv_cmsg_get_fds(&message, $0.baseAddress, Int32(count)) })
                    }
                }
            }
            switch try result.get() {
            case .none:
                var wait: Int32 = -1
                if let deadline {
                    let left = deadline - system_monotonicSeconds()
                    guard left > 0 else { throw SyscallError("recvmsg", errno: ETIMEDOUT) }
                    wait = Int32(left * 1000) + 1
                }
                _ = try system_poll(socket, events: Int16(POLLIN), timeoutMilliseconds: wait)
            case .some(let taken) where taken < count:
                for fd in received.prefix(taken) { system_close(fd) }
                throw SyscallError("recvmsg", errno: EBADMSG)
            case .some:
                return received
            }
        }
    }

    /// Runs `body` with a one-byte message (`marker`) whose zeroed control buffer has room for
    /// `descriptors` descriptors.
    private static func withMarkerMessage<R>(_ marker: UInt8, descriptors: Int, _ body: (inout msghdr) -> R) -> R {
        var byte = marker
        let space = CLibEv_cmsg_space_fds(Int32(descriptors))
        let control = UnsafeMutableRawPointer.allocate(byteCount: space, alignment: 8)
        defer { control.deallocate() }
        control.initializeMemory(as: UInt8.self, repeating: 0, count: space)
        return withUnsafeMutableBytes(of: &byte) { bytes in
            var vector = iovec(iov_base: bytes.baseAddress, iov_len: 1)
            return withUnsafeMutablePointer(to: &vector) { vectorPointer in
                var message = msghdr(
                    msg_name: nil, msg_namelen: 0, msg_iov: vectorPointer, msg_iovlen: 1,
                    msg_control: control, msg_controllen: space, msg_flags: 0)
                return body(&message)
            }
        }
    }
}
