import CLibEv
import Glibc

// System calls of the shared-memory transport: memfd, mmap, eventfd, futex, credentials and
// the robust mutex that tells writers whether the reader lives. Same rules as Syscalls.swift.

/// `memfd_create(2)` with sealing allowed, close-on-exec, sized to `bytes` and sealed against
/// shrinking and growing: a writer holding it cannot truncate the reader's mapping (which would
/// make the reader's next access fault). `final`: no seal can be added later either.
func system_sealedMemory(name: String, bytes: Int, final: Bool) throws(SyscallError) -> Int32 {
    let fd = try syscallOrThrow("memfd_create") { CLibEv_memfd_create(name, 0x0003 /* MFD_CLOEXEC | MFD_ALLOW_SEALING */) }
    do throws(SyscallError) {
        _ = try syscallOrThrow("ftruncate") { ftruncate(fd, off_t(bytes)) }
        let seals: Int32 = 0x0002 | 0x0004 | (final ? 0x0001 : 0)  // F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL
        _ = try syscallOrThrow("fcntl") { fcntl(fd, 1033 /* F_ADD_SEALS */, seals) }
    } catch {
        system_close(fd)
        throw error
    }
    return fd
}

/// Seals a memory descriptor against writes through any later mapping or `write` (the maker's
/// own writable mapping keeps working): `F_SEAL_FUTURE_WRITE`.
func system_sealFutureWrites(_ fd: Int32) throws(SyscallError) {
    _ = try syscallOrThrow("fcntl") { fcntl(fd, 1033 /* F_ADD_SEALS */, Int32(0x0010) | 0x0001 /* F_SEAL_FUTURE_WRITE | F_SEAL_SEAL */) }
}

/// `true` when a memory descriptor can be mapped for reading only (`F_SEAL_FUTURE_WRITE` or
/// `F_SEAL_WRITE`), and neither shrink nor grow.
func system_isSealedReadOnly(_ fd: Int32) -> Bool {
    let seals = fcntl(fd, 1034 /* F_GET_SEALS */)
    return seals >= 0 && seals & 0x0006 == 0x0006 && seals & 0x0018 != 0
}

/// `mmap(2)`, shared, read only.
func system_mapReadOnly(_ fd: Int32, bytes: Int) throws(SyscallError) -> UnsafeMutableRawPointer {
    guard let address = mmap(nil, bytes, PROT_READ, MAP_SHARED, fd, 0), address != MAP_FAILED else {
        throw SyscallError("mmap", errno: errno)
    }
    return address
}

/// `true` when a memory descriptor is sealed so it can neither shrink nor grow (a writer only
/// maps memory the reader cannot have pulled from under it, and vice versa).
func system_isSealedAgainstResize(_ fd: Int32) -> Bool {
    let seals = fcntl(fd, 1034 /* F_GET_SEALS */)
    return seals >= 0 && seals & 0x0006 == 0x0006
}

/// The size of an open file (`fstat`).
func system_fileSize(_ fd: Int32) throws(SyscallError) -> Int {
    var status = stat()
    _ = try syscallOrThrow("fstat") { fstat(fd, &status) }
    return Int(status.st_size)
}

/// `mmap(2)`, shared, read and write.
func system_mapShared(_ fd: Int32, bytes: Int) throws(SyscallError) -> UnsafeMutableRawPointer {
    guard let address = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), address != MAP_FAILED else {
        throw SyscallError("mmap", errno: errno)
    }
    return address
}

/// `munmap(2)`.
func system_unmap(_ address: UnsafeMutableRawPointer, bytes: Int) {
    _ = munmap(address, bytes)
}

/// `eventfd(2)`, non-blocking and close-on-exec.
func system_eventfd() throws(SyscallError) -> Int32 {
    try syscallOrThrow("eventfd") { eventfd(0, Int32(EFD_NONBLOCK) | Int32(EFD_CLOEXEC)) }
}

/// Adds 1 to an eventfd (wakes its reader). A full counter (EAGAIN) already means "wake".
func system_eventfdSignal(_ fd: Int32) {
    var one: UInt64 = 1
    _ = withUnsafeBytes(of: &one) { bytes in try? syscall("write") { Glibc.write(fd, bytes.baseAddress, 8) } }
}

/// Reads an eventfd's counter back to 0 (non-blocking).
func system_eventfdReset(_ fd: Int32) {
    var value: UInt64 = 0
    _ = withUnsafeMutableBytes(of: &value) { bytes in try? syscall("read") { Glibc.read(fd, bytes.baseAddress, 8) } }
}

/// Sleeps while `word` holds `expected`, for at most `seconds` (`nil`: no limit). Returns on a
/// wake, a change of the word, a signal or the timeout: callers re-check their condition.
func system_futexWait(_ word: UnsafeMutableRawPointer, expected: UInt32, seconds: Double?) {
    let pointer = word.assumingMemoryBound(to: UInt32.self)
    guard let seconds else {
        _ = CLibEv_futex_wait(pointer, expected, nil)
        return
    }
    let whole = max(0, seconds)
    var timeout = timespec(tv_sec: Int(whole), tv_nsec: Int((whole - whole.rounded(.down)) * 1e9))
    _ = CLibEv_futex_wait(pointer, expected, &timeout)
}

/// Wakes every sleeper on `word`.
func system_futexWakeAll(_ word: UnsafeMutableRawPointer) {
    _ = CLibEv_futex_wake(word.assumingMemoryBound(to: UInt32.self), Int32.max)
}

/// The uid and gid of the process that made the socket at the other end of `fd` (`SO_PEERCRED`).
func system_peerCredentials(_ fd: Int32) -> (uid: UInt32, gid: UInt32)? {
    var uid: UInt32 = 0
    var gid: UInt32 = 0
    var pid: Int32 = 0
    return CLibEv_peer_credentials(fd, &uid, &gid, &pid) == 0 ? (uid, gid) : nil
}

/// `socketpair(AF_UNIX, SOCK_SEQPACKET)`, close-on-exec.
func system_seqpacketPair() throws(SyscallError) -> (Int32, Int32) {
    var fds: [Int32] = [-1, -1]
    _ = try syscallOrThrow("socketpair") {
        socketpair(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds)
    }
    return (fds[0], fds[1])
}

/// Initialises a robust, process-shared mutex at `address` and locks it on this thread: while
/// this thread lives the lock word holds its id; if it dies the kernel marks the word.
func system_lockLiveness(at address: UnsafeMutableRawPointer) -> Bool {
    let mutex = address.bindMemory(to: pthread_mutex_t.self, capacity: 1)
    var attributes = pthread_mutexattr_t()
    pthread_mutexattr_init(&attributes)
    defer { pthread_mutexattr_destroy(&attributes) }
    pthread_mutexattr_setpshared(&attributes, Int32(PTHREAD_PROCESS_SHARED))
    pthread_mutexattr_setrobust(&attributes, Int32(PTHREAD_MUTEX_ROBUST))
    guard pthread_mutex_init(mutex, &attributes) == 0 else { return false }
    return pthread_mutex_lock(mutex) == 0
}

/// Unlocks the liveness mutex; must run on the thread that locked it. - Returns: `false` when
/// this thread does not own it (the mapping must then stay: glibc's robust list points into it).
func system_unlockLiveness(at address: UnsafeMutableRawPointer) -> Bool {
    pthread_mutex_unlock(address.assumingMemoryBound(to: pthread_mutex_t.self)) == 0
}

/// `true` while the thread that holds the liveness mutex at `address` is alive (no system call).
func system_livenessHolderAlive(at address: UnsafeMutableRawPointer) -> Bool {
    CLibEv_robust_owner_alive(address.assumingMemoryBound(to: pthread_mutex_t.self)) != 0
}
