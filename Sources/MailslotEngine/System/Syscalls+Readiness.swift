import CLibEv
import Glibc

// epoll and multi-descriptor poll, for the descriptors that say "a message is queued"
// (ConcurrentMailslotServer) and for waits on several of them at once.

/// `epoll_create1(2)`, close-on-exec.
func system_epollCreate() throws(SyscallError) -> Int32 {
    try syscallOrThrow("epoll_create1") { epoll_create1(Int32(EPOLL_CLOEXEC)) }
}

/// Adds `fd` to the epoll set `epoll`, level-triggered for input.
func system_epollAddReadable(_ epoll: Int32, _ fd: Int32) throws(SyscallError) {
    var event = epoll_event()
    event.events = EPOLLIN.rawValue
    event.data.fd = fd
    _ = try syscallOrThrow("epoll_ctl") { epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event) }
}

/// `poll(2)` for input on several descriptors. - Returns: the index of the first readable one
/// (or one with an error or hang-up), `nil` after `timeoutMilliseconds` (`-1`: no limit).
func system_pollReadable(_ fds: [Int32], timeoutMilliseconds: Int32) throws(SyscallError) -> Int? {
    var entries = fds.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
    let ready = try entries.withUnsafeMutableBufferPointer { buffer throws(SyscallError) in
        try syscallOrThrow("poll") { Glibc.poll(buffer.baseAddress, nfds_t(buffer.count), timeoutMilliseconds) }
    }
    guard ready > 0 else { return nil }
    return entries.firstIndex { $0.revents != 0 }
}

/// `poll(2)` for given events on several descriptors. - Returns: for each, whether it reported
/// an event (or an error or hang-up); all `false` after `timeoutMilliseconds` (`-1`: no limit).
func system_pollEach(_ fds: [(fd: Int32, events: Int16)], timeoutMilliseconds: Int32) throws(SyscallError) -> [Bool] {
    var entries = fds.map { pollfd(fd: $0.fd, events: $0.events, revents: 0) }
    _ = try entries.withUnsafeMutableBufferPointer { buffer throws(SyscallError) in
        try syscallOrThrow("poll") { Glibc.poll(buffer.baseAddress, nfds_t(buffer.count), timeoutMilliseconds) }
    }
    return entries.map { $0.revents != 0 }
}

/// Removes `fd` from the epoll set `epoll` (ENOENT and EBADF, a descriptor already gone, are fine).
func system_epollRemove(_ epoll: Int32, _ fd: Int32) {
    var event = epoll_event()
    _ = epoll_ctl(epoll, EPOLL_CTL_DEL, fd, &event)
}

/// Adds `fd` to `epoll` (or, with `rearm`, arms it again) for one input event, tagged with
/// `tag`: edge-triggered and one-shot, so after an event it stays quiet until armed again.
func system_epollArmOnce(_ epoll: Int32, _ fd: Int32, tag: UInt64, rearm: Bool) throws(SyscallError) {
    var event = epoll_event()
    event.events = EPOLLIN.rawValue | EPOLLET.rawValue | EPOLLONESHOT.rawValue
    event.data.u64 = tag
    _ = try syscallOrThrow("epoll_ctl") { epoll_ctl(epoll, rearm ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &event) }
}

/// `epoll_wait(2)` (EINTR retried) for at most `timeoutMilliseconds` (`-1`: no limit).
/// - Returns: the ready descriptors' tags (none on timeout).
func system_epollWaitTags(_ epoll: Int32, timeoutMilliseconds: Int32, capacity: Int = 64) -> [UInt64] {
    var events = [epoll_event](repeating: epoll_event(), count: capacity)
    let count = events.withUnsafeMutableBufferPointer { buffer in
        (try? syscallOrThrow("epoll_wait") { epoll_wait(epoll, buffer.baseAddress, Int32(buffer.count), timeoutMilliseconds) }) ?? 0
    }
    return events.prefix(Int(max(0, count))).map { $0.data.u64 }
}
