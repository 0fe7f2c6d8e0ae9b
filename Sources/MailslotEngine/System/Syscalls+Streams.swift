import CLibEv
import Glibc

// TCP listening and stream reads, for the metrics endpoint (TCPRequestServer); same rules as
// Syscalls.swift.

/// `listen(2)`.
func system_listen(_ fd: Int32, backlog: Int32) throws(SyscallError) {
    _ = try syscallOrThrow("listen") { Glibc.listen(fd, backlog) }
}

/// `accept4(2)`, non-blocking and close-on-exec. `nil` when no connection is pending, or when
/// the one that was pending is already gone (`ECONNABORTED`).
func system_accept(_ fd: Int32) throws(SyscallError) -> Int32? {
    do {
        switch try syscall("accept4", { CLibEv_accept4(fd, nil, nil, Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)) }) {
        case .processed(let connection): return connection
        case .wouldBlock: return nil
        }
    } catch {
        if error.errno == ECONNABORTED || error.errno == EPROTO { return nil }
        throw error
    }
}

/// `recv(2)`, non-blocking: the bytes read (0 at the end of the stream).
func system_receive(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer) throws(SyscallError) -> IOResult<Int> {
    try syscall("recv") { Glibc.recv(fd, buffer.baseAddress, buffer.count, Int32(MSG_DONTWAIT)) }
}
