import Glibc

/// An address the syscall layer can hand to the kernel as a `sockaddr`.
protocol SocketAddress {
    /// Calls `body` with the address as a `sockaddr` and its exact length.
    func withSockaddr<R, E: Error>(_ body: (UnsafePointer<sockaddr>, socklen_t) throws(E) -> R) throws(E) -> R
}

/// A Unix-domain socket address in the abstract namespace (Linux): a name with no file, freed
/// by the kernel when the last descriptor of the bound socket closes (even after `kill -9`).
struct UnixAddress: SocketAddress {
    /// The abstract name, without the leading NUL.
    let name: [UInt8]

    /// Calls `body` with a `sockaddr_un` for this address and its exact length.
    func withSockaddr<R, E: Error>(_ body: (UnsafePointer<sockaddr>, socklen_t) throws(E) -> R) throws(E) -> R {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let count = min(name.count, MemoryLayout.size(ofValue: address.sun_path) - 1)
        withUnsafeMutableBytes(of: &address.sun_path) { path in
            path[0] = 0
            for index in 0..<count { path[index + 1] = name[index] }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + 1 + count)
        return try withUnsafePointer(to: &address) { pointer throws(E) in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address throws(E) in try body(address, length) }
        }
    }
}
