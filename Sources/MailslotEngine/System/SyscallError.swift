import Glibc
import MailslotCore

/// A failed system call: its name and `errno`.
///
/// EINTR never surfaces (it is retried) and EAGAIN never surfaces (it is ``IOResult/wouldBlock``).
public struct SyscallError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The C function that failed, e.g. `"bind"`.
    public let syscall: String
    /// The C `errno` it set.
    public let errno: Int32

    /// The failure of `syscall` with `errno`.
    public init(_ syscall: String, errno: Int32) {
        self.syscall = syscall
        self.errno = errno
    }

    public var description: String { "\(syscall): errno \(errno)" }

    /// `true` for errors that mean a process or system limit was hit.
    public var isResourceLimit: Bool {
        [EMFILE, ENFILE, ENOMEM, ENOBUFS, ENOSPC].contains(errno)
    }

    /// The mailslot error for this failure, as seen by an API caller.
    var mailslotError: MailslotError {
        isResourceLimit ? .systemLimit(syscall: syscall, errno: errno) : .system(syscall: syscall, errno: errno)
    }
}

