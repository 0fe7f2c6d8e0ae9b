import Glibc
import MailslotCore

/// Where a local mailslot lives in the kernel: an abstract Unix datagram address derived from
/// the name's case-folded path.
///
/// The address is `mailslot/` followed by 32 hex digits: a 128-bit FNV-1a hash of the
/// canonical path (two 64-bit lanes with different offsets). Hashing keeps every address the
/// same length whatever the name's length (names go up to 259 characters; an abstract address
/// holds 107 bytes), and the registry entry beside it carries the name itself.
struct LocalEndpoint: Hashable {
    /// The 32 hex digits that stand for the name.
    let key: String
    /// The two hash lanes the key is made of.
    let pathHash: PathHash

    /// Prefix of every mailslot address in the abstract namespace.
    static let prefix = "mailslot/"

    init(_ name: MailslotName) {
        var hash = PathHash()
        for byte in name.canonicalPath.utf8 { hash.add(byte) }
        pathHash = hash
        key = Self.hex(hash.high) + Self.hex(hash.low)
    }

    init?(key: String) {
        guard key.utf8.count == 32, key.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }),
            let high = UInt64(key.prefix(16), radix: 16), let low = UInt64(key.suffix(16), radix: 16)
        else {
            return nil
        }
        self.key = key
        pathHash = PathHash(low: low, high: high)
    }

    var address: UnixAddress { UnixAddress(name: Array((Self.prefix + key).utf8)) }

    private static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}

/// The 128-bit FNV-1a hash of a mailslot's folded path (two 64-bit lanes with different
/// offsets): what its local address is made of. Computable straight from a datagram's bytes.
struct PathHash: Hashable, SocketAddress {
    var low: UInt64 = 0xcbf2_9ce4_8422_2325
    var high: UInt64 = 0x6c62_272e_07bb_0142

    init() {}

    init(low: UInt64, high: UInt64) {
        self.low = low
        self.high = high
    }

    /// Adds one byte of the folded path.
    @inline(__always) mutating func add(_ byte: UInt8) {
        low = (low ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        high = (high ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        high = (high << 13) | (high >> 51)
    }

    /// The hash of an ASCII path as a name would fold it (ASCII letters to lower case; the MS-MAIL
    /// decoder admits ASCII only, and for ASCII that is exactly ``/MailslotCore/MailslotName``'s fold).
    init(asciiPath bytes: UnsafeRawBufferPointer) {
        self.init()
        for byte in bytes { add(byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte) }
    }

    /// The local address `mailslot/<32 hex digits>` in the abstract namespace, written in place
    /// (no allocation: the datagram service relays with it per datagram).
    func withSockaddr<R, E: Error>(_ body: (UnsafePointer<sockaddr>, socklen_t) throws(E) -> R) throws(E) -> R {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let count = withUnsafeMutableBytes(of: &address.sun_path) { path in
            path[0] = 0
            return writeAddress(into: UnsafeMutableRawBufferPointer(rebasing: path[1...]))
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + 1 + count)
        return try withUnsafePointer(to: &address) { pointer throws(E) in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address throws(E) in try body(address, length) }
        }
    }

    /// Writes the local address `mailslot/<32 hex digits>` into `buffer` (at least 41 bytes).
    func writeAddress(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let prefix: StaticString = "mailslot/"
        let digits: StaticString = "0123456789abcdef"
        var at = 0
        prefix.withUTF8Buffer { for byte in $0 { buffer[at] = byte; at += 1 } }
        digits.withUTF8Buffer { hex in
            for shift in stride(from: 60, through: 0, by: -4) {
                buffer[at] = hex[Int((high >> UInt64(shift)) & 0xF)]
                buffer[at + 16] = hex[Int((low >> UInt64(shift)) & 0xF)]
                at += 1
            }
        }
        return at + 16
    }
}
