import CLibEv
import Glibc

// The one place the engine calls libc I/O.
//
// Rules (as swift-nio's System.swift and swift-system do):
// - EINTR is retried (never for close(2): Linux releases the descriptor even then);
// - EAGAIN/EWOULDBLOCK is returned as IOResult.wouldBlock, never thrown;
// - EBADF and EFAULT are bugs in this program and trap;
// - every other errno is thrown as a SyscallError naming the call.
// Each wrapper is @inline(never) so errno is read right after the call.

@inline(never)
func syscall<T: FixedWidthInteger>(
    _ name: String, blocking: Bool = false, _ body: () -> T
) throws(SyscallError) -> IOResult<T> {
    while true {
        let result = body()
        if result >= 0 { return .processed(result) }
        let code = errno
        switch code {
        case EINTR: continue
        case EAGAIN: if !blocking { return .wouldBlock }
        case EBADF, EFAULT: preconditionFailure("\(name) failed with errno \(code): a bug in the engine")
        default: break
        }
        throw SyscallError(name, errno: code)
    }
}

/// Calls `body` and throws unless it succeeds; EAGAIN is treated as an error.
@inline(never)
func syscallOrThrow<T: FixedWidthInteger>(_ name: String, _ body: () -> T) throws(SyscallError) -> T {
    switch try syscall(name, blocking: true, body) {
    case .processed(let value): return value
    case .wouldBlock: throw SyscallError(name, errno: EAGAIN)
    }
}

/// `socket(2)`, always non-blocking and close-on-exec.
func system_socket(domain: Int32, type: Int32) throws(SyscallError) -> Int32 {
    try syscallOrThrow("socket") { socket(domain, type | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
}

/// `close(2)`. Not retried on EINTR.
func system_close(_ fd: Int32) {
    _ = Glibc.close(fd)
}

/// `bind(2)`.
func system_bind(_ fd: Int32, _ address: some SocketAddress) throws(SyscallError) {
    _ = try address.withSockaddr { pointer, length throws(SyscallError) in
        try syscallOrThrow("bind") { Glibc.bind(fd, pointer, length) }
    }
}

/// `connect(2)` (on a datagram socket: sets its default destination).
func system_connect(_ fd: Int32, _ address: some SocketAddress) throws(SyscallError) {
    _ = try address.withSockaddr { pointer, length throws(SyscallError) in
        try syscallOrThrow("connect") { Glibc.connect(fd, pointer, length) }
    }
}

/// `sendto(2)` with `MSG_DONTWAIT | MSG_NOSIGNAL`.
func system_sendto(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, to address: some SocketAddress) throws(SyscallError) -> IOResult<Int> {
    try address.withSockaddr { pointer, length throws(SyscallError) in
        try syscall("sendto") {
            Glibc.sendto(fd, bytes.baseAddress, bytes.count, Int32(MSG_DONTWAIT) | Int32(MSG_NOSIGNAL), pointer, length)
        }
    }
}

/// `send(2)` with `MSG_DONTWAIT | MSG_NOSIGNAL`.
func system_send(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws(SyscallError) -> IOResult<Int> {
    try syscall("send") { Glibc.send(fd, bytes.baseAddress, bytes.count, Int32(MSG_DONTWAIT) | Int32(MSG_NOSIGNAL)) }
}

/// `sendmmsg(2)` with `MSG_NOSIGNAL`; `blocking: false` adds `MSG_DONTWAIT`.
func system_sendmmsg(
    _ fd: Int32, _ headers: UnsafeMutablePointer<CLibEv_mmsghdr>, _ count: Int, blocking: Bool
) throws(SyscallError) -> IOResult<Int32> {
    let flags = Int32(MSG_NOSIGNAL) | (blocking ? 0 : Int32(MSG_DONTWAIT))
    return try syscall("sendmmsg") { CLibEv_sendmmsg(fd, headers, UInt32(count), flags) }
}

/// `recvmmsg(2)`, non-blocking.
func system_recvmmsg(
    _ fd: Int32, _ headers: UnsafeMutablePointer<CLibEv_mmsghdr>, _ count: Int, flags: Int32
) throws(SyscallError) -> IOResult<Int32> {
    try syscall("recvmmsg") { CLibEv_recvmmsg(fd, headers, UInt32(count), flags | Int32(MSG_DONTWAIT), nil) }
}

/// `sendmsg(2)`.
func system_sendmsg(_ fd: Int32, _ message: UnsafePointer<msghdr>, flags: Int32) throws(SyscallError) -> IOResult<Int> {
    try syscall("sendmsg") { Glibc.sendmsg(fd, message, flags | Int32(MSG_NOSIGNAL)) }
}

/// `recvmsg(2)`.
func system_recvmsg(_ fd: Int32, _ message: UnsafeMutablePointer<msghdr>, flags: Int32) throws(SyscallError) -> IOResult<Int> {
    try syscall("recvmsg") { Glibc.recvmsg(fd, message, flags) }
}

/// `poll(2)` on one descriptor; returns `true` when an event arrived before the timeout.
func system_poll(_ fd: Int32, events: Int16, timeoutMilliseconds: Int32) throws(SyscallError) -> Bool {
    var entry = pollfd(fd: fd, events: events, revents: 0)
    return try syscallOrThrow("poll") { Glibc.poll(&entry, 1, timeoutMilliseconds) } > 0
}

/// `setsockopt(2)` with an `Int32` value.
func system_setsockopt(_ fd: Int32, level: Int32, name: Int32, value: Int32) throws(SyscallError) {
    var value = value
    _ = try syscallOrThrow("setsockopt") {
        Glibc.setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size))
    }
}

/// Sets or clears `FD_CLOEXEC`.
func system_setCloseOnExec(_ fd: Int32, _ on: Bool) throws(SyscallError) {
    let flags = try syscallOrThrow("fcntl") { fcntl(fd, F_GETFD) }
    _ = try syscallOrThrow("fcntl") { fcntl(fd, F_SETFD, on ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC) }
}

/// `fcntl(F_DUPFD_CLOEXEC)`: a close-on-exec duplicate of `fd`.
func system_duplicate(_ fd: Int32) throws(SyscallError) -> Int32 {
    try syscallOrThrow("fcntl") { fcntl(fd, F_DUPFD_CLOEXEC, 0) }
}

/// Sets `O_NONBLOCK`.
func system_setNonBlocking(_ fd: Int32) throws(SyscallError) {
    let flags = try syscallOrThrow("fcntl") { fcntl(fd, F_GETFL) }
    _ = try syscallOrThrow("fcntl") { fcntl(fd, F_SETFL, flags | O_NONBLOCK) }
}

/// `getsockopt(SO_TYPE)` and `getsockname(2)`: the socket type and bound address of `fd`.
func system_socketIdentity(_ fd: Int32) throws(SyscallError) -> (type: Int32, address: [UInt8]) {
    var type: Int32 = 0
    var length = socklen_t(MemoryLayout<Int32>.size)
    _ = try syscallOrThrow("getsockopt") { getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length) }
    var storage = sockaddr_un()
    var addressLength = socklen_t(MemoryLayout<sockaddr_un>.size)
    _ = try withUnsafeMutablePointer(to: &storage) { pointer throws(SyscallError) in
        try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address throws(SyscallError) in
            try syscallOrThrow("getsockname") { getsockname(fd, address, &addressLength) }
        }
    }
    let pathBytes = Int(addressLength) - MemoryLayout<sa_family_t>.size
    let bytes = withUnsafeBytes(of: &storage.sun_path) { Array($0.prefix(max(0, pathBytes))) }
    return (type, bytes)
}

/// `open(2)` with close-on-exec.
func system_open(_ path: String, flags: Int32, mode: UInt32 = 0o644) throws(SyscallError) -> Int32 {
    try syscallOrThrow("open") { Glibc.open(path, flags | O_CLOEXEC, mode) }
}

/// Reads a whole small file from an open descriptor.
func system_readAll(_ fd: Int32) throws(SyscallError) -> [UInt8] {
    var result: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = try chunk.withUnsafeMutableBytes { buffer in
            Result { () throws(SyscallError) in try syscallOrThrow("read") { Glibc.read(fd, buffer.baseAddress, buffer.count) } }
        }.get()
        if count == 0 { return result }
        result += chunk[0..<count]
    }
}

/// The names in a directory (without `.` and `..`), or `[]` when it cannot be read.
func system_listDirectory(_ path: String) -> [String] {
    guard let directory = opendir(path) else { return [] }
    defer { closedir(directory) }
    return system_readNames(directory)
}

/// The names an open directory stream holds (without `.` and `..`).
func system_readNames(_ directory: OpaquePointer) -> [String] {
    var names: [String] = []
    while let entry = readdir(directory) {
        let name = system_entryName(entry)
        if name != "." && name != ".." { names.append(name) }
    }
    return names
}

/// The name of a directory entry `readdir(3)` returned. Read in place up to its NUL: a
/// record can be shorter than `struct dirent` (its `d_reclen`), so copying the whole
/// 256-byte `d_name` reads past the end of the buffer (AddressSanitizer caught it).
func system_entryName(_ entry: UnsafeMutablePointer<dirent>) -> String {
    let offset = MemoryLayout<dirent>.offset(of: \.d_name)!
    return String(cString: (UnsafeRawPointer(entry) + offset).assumingMemoryBound(to: CChar.self))
}

/// `readlink(2)`, or `nil`.
func system_readlink(_ path: String) -> String? {
    var buffer = [UInt8](repeating: 0, count: 256)
    let count = buffer.withUnsafeMutableBytes { readlink(path, $0.baseAddress!.assumingMemoryBound(to: CChar.self), $0.count) }
    guard count > 0 else { return nil }
    return String(decoding: buffer[0..<count], as: UTF8.self)
}

/// Reads a whole file by path, or `nil`.
func system_readFile(_ path: String) -> [UInt8]? {
    guard let opened = try? system_open(path, flags: O_RDONLY) else { return nil }
    let file = Descriptor(owning: opened)
    return try? system_readAll(file.rawValue)
}

/// `true` when `fd` is an open descriptor of this process (`fcntl(F_GETFD)`). Descriptors a
/// caller hands in are checked with this first, so a bad one is a typed error, not a trap.
func system_isOpenDescriptor(_ fd: Int32) -> Bool {
    fd >= 0 && fcntl(fd, F_GETFD) >= 0
}

/// `getpid(2)`.
func system_getpid() -> Int32 { getpid() }

/// Raises the soft open-file limit to the hard limit (and the hard limit when privileged).
/// - Returns: the soft limit now in force.
@discardableResult
func system_raiseOpenFileLimit(wanted: Int) -> Int {
    var limit = rlimit()
    guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 0 }
    if limit.rlim_cur >= rlim_t(wanted) { return Int(limit.rlim_cur) }
    if limit.rlim_max < rlim_t(wanted) {
        var raised = limit
        raised.rlim_max = rlim_t(wanted)
        raised.rlim_cur = rlim_t(wanted)
        if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { return wanted }
    }
    limit.rlim_cur = min(limit.rlim_max, rlim_t(wanted))
    _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    return Int(limit.rlim_cur)
}

/// The monotonic clock, in seconds.
func system_monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}

/// Whether a datagram waits in `fd`'s receive queue (`recv(2)` of 0 bytes with `MSG_PEEK`;
/// true for a 0-byte datagram too). A socket that cannot be asked counts as empty.
func system_hasQueuedDatagram(_ fd: Int32) -> Bool {
    guard case .processed? = try? syscall("recv", { Glibc.recv(fd, nil, 0, Int32(MSG_PEEK) | Int32(MSG_DONTWAIT)) }) else {
        return false
    }
    return true
}
