import CLibEv
import Glibc

/// Sends and receives one descriptor over a Unix socket (`SCM_RIGHTS`).
enum HandleTransfer {
    /// Sends `fd` with one marker byte.
    static func send(_ fd: Int32, over socket: Int32) throws(SyscallError) {
        var marker: UInt8 = 0x4D
        let space = CLibEv_cmsg_space_fd()
        let control = UnsafeMutableRawPointer.allocate(byteCount: space, alignment: 8)
        defer { control.deallocate() }
        control.initializeMemory(as: UInt8.self, repeating: 0, count: space)
        let result = withUnsafeMutableBytes(of: &marker) { byte in
            var vector = iovec(iov_base: byte.baseAddress, iov_len: 1)
            return withUnsafeMutablePointer(to: &vector) { vectorPointer in
                var message = msghdr(
                    msg_name: nil, msg_namelen: 0, msg_iov: vectorPointer, msg_iovlen: 1,
                    msg_control: control, msg_controllen: space, msg_flags: 0)
                CLibEv_cmsg_put_fd(&message, fd)
                return Result { () throws(SyscallError) in try system_sendmsg(socket, &message, flags: 0) }
            }
        }
        if case .wouldBlock = try result.get() { throw SyscallError("sendmsg", errno: EAGAIN) }
    }

    /// Waits for one descriptor sent by ``send(_:over:)``.
    static func receive(over socket: Int32) throws(SyscallError) -> Int32 {
        var marker: UInt8 = 0
        let space = CLibEv_cmsg_space_fd()
        let control = UnsafeMutableRawPointer.allocate(byteCount: space, alignment: 8)
        defer { control.deallocate() }
        while true {
            let result = withUnsafeMutableBytes(of: &marker) { byte in
                var vector = iovec(iov_base: byte.baseAddress, iov_len: 1)
                return withUnsafeMutablePointer(to: &vector) { vectorPointer in
                    var message = msghdr(
                        msg_name: nil, msg_namelen: 0, msg_iov: vectorPointer, msg_iovlen: 1,
                        msg_control: control, msg_controllen: space, msg_flags: 0)
                    return Result { () throws(SyscallError) -> Int32? in
                        switch try system_recvmsg(socket, &message, flags: Int32(MSG_CMSG_CLOEXEC)) {
                        case .wouldBlock: return nil
                        case .processed(0): throw SyscallError("recvmsg", errno: ECONNRESET)
                        case .processed: return CLibEv_cmsg_get_fd(&message)
                        }
                    }
                }
            }
            switch try result.get() {
            case .none: _ = try system_poll(socket, events: Int16(POLLIN), timeoutMilliseconds: -1)
            case .some(let fd) where fd < 0: throw SyscallError("recvmsg", errno: EBADMSG)
            case .some(let fd): return fd
            }
        }
    }
}
