import Glibc

/// An IPv4 address and UDP port (`sockaddr_in`), in host byte order.
package struct IPv4Endpoint: Hashable, Sendable, CustomStringConvertible, SocketAddress {
    /// The address as a 32-bit number (10.0.0.1 → 0x0A000001).
    package var address: UInt32
    /// The UDP port.
    package var port: UInt16

    /// An endpoint from its numbers.
    package init(address: UInt32, port: UInt16) {
        self.address = address
        self.port = port
    }

    /// Parses dotted-quad text (`10.0.0.1`); `nil` if it is not one.
    package init?(_ text: String, port: UInt16) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard let byte = UInt8(part), part.count <= 3 else { return nil }
            value = value << 8 | UInt32(byte)
        }
        self.init(address: value, port: port)
    }

    /// `10.0.0.1`.
    package var host: String { "\(address >> 24).\(address >> 16 & 0xFF).\(address >> 8 & 0xFF).\(address & 0xFF)" }

    /// `10.0.0.1:138`.
    package var description: String { "\(host):\(port)" }

    /// Calls `body` with a `sockaddr_in` for this endpoint.
    func withSockaddr<R, E: Error>(_ body: (UnsafePointer<sockaddr>, socklen_t) throws(E) -> R) throws(E) -> R {
        var storage = sockaddr_in()
        storage.sin_family = sa_family_t(AF_INET)
        storage.sin_port = port.bigEndian
        storage.sin_addr = in_addr(s_addr: address.bigEndian)
        return try withUnsafePointer(to: &storage) { pointer throws(E) in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address throws(E) in
                try body(address, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
    }

    /// Reads a `sockaddr_in`.
    init(_ storage: sockaddr_in) {
        self.init(address: UInt32(bigEndian: storage.sin_addr.s_addr), port: UInt16(bigEndian: storage.sin_port))
    }
}
