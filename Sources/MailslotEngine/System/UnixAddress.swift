import Glibc

/// An address the syscall layer can hand to the kernel as a `sockaddr`.
protocol SocketAddress {
    /// Calls `body` with the address as a `sockaddr` and its exact length.
    func withSockaddr<R, E: Error>(_ body: (UnsafePointer<sockaddr>, socklen_t) throws(E) -> R) throws(E) -> R
}

/// A Unix-domain socket address. Mailslots use the abstract namespace (Linux): a name with no
/// file, freed by the kernel when the last descriptor of the bound socket closes (even after
/// `kill -9`). The service manager's notify socket may also be a file (``init(path:)``).
struct UnixAddress: SocketAddress {
    /// The name, without the leading NUL of the abstract namespace.
    let name: [UInt8]
    /// `true`: an abstract name; `false`: a file's path.
    let isAbstract: Bool

    /// The abstract name `name`.
    init(name: [UInt8]) {
        self.init(name: name, isAbstract: true)
    }

    private init(name: [UInt8], isAbstract: Bool) {
        self.name = name
        self.isAbstract = isAbstract
    }

    /// A socket file at `path`; a path that starts with `@` names an abstract socket instead,
    /// as `$NOTIFY_SOCKET` does (`sd_notify(3)`).
    init(path: String) {
        if path.hasPrefix("@") {
            self.init(name: Array(path.utf8.dropFirst()))
        } else {
            self.init(name: Array(path.utf8), isAbstract: false)
        }
    }

    /// Calls `body` with a `sockaddr_un` for this address and its exact length.
    func withSockaddr<R, E: Error>(_ body: (UnsafePointer<sockaddr>, socklen_t) throws(E) -> R) throws(E) -> R {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let lead = isAbstract ? 1 : 0
        let count = min(name.count, MemoryLayout.size(ofValue: address.sun_path) - 1)
        withUnsafeMutableBytes(of: &address.sun_path) { path in
            path[0] = 0
            for index in 0..<count { path[index + lead] = name[index] }
        }
        // A file's path is NUL-terminated (the field was zeroed); an abstract name is not.
        let length = socklen_t(MemoryLayout<sa_family_t>.size + lead + count + (isAbstract ? 0 : 1))
        return try withUnsafePointer(to: &address) { pointer throws(E) in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address throws(E) in try body(address, length) }
        }
    }
}
