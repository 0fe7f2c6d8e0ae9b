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

    /// Prefix of every mailslot address in the abstract namespace.
    static let prefix = "mailslot/"

    init(_ name: MailslotName) {
        var low: UInt64 = 0xcbf2_9ce4_8422_2325
        var high: UInt64 = 0x6c62_272e_07bb_0142
        for byte in name.canonicalPath.utf8 {
            low = (low ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
            high = (high ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
            high = (high << 13) | (high >> 51)
        }
        key = Self.hex(high) + Self.hex(low)
    }

    init?(key: String) {
        guard key.utf8.count == 32, key.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }) else {
            return nil
        }
        self.key = key
    }

    var address: UnixAddress { UnixAddress(name: Array((Self.prefix + key).utf8)) }

    private static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
