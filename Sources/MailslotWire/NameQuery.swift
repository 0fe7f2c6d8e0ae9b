/// NetBIOS name service (RFC 1002 §4.2, UDP 137): a broadcast name query and its positive
/// answer, the last step of resolving `\\COMPUTER\mailslot\x` (peers such as nmbd answer).
///
/// Query (50 bytes, big-endian):
///
///     0        2        4        6        8        10       12                46      48      50
///     +--------+--------+--------+--------+--------+--------+-----------------+-------+-------+
///     | NAME_TRN_ID     | FLAGS  | QDCOUNT| ANCOUNT| NSCOUNT| ARCOUNT| QUESTION_NAME (34)      |
///     |                 | 0x0110 |   1    |   0    |   0    |   0    | TYPE NB 0x20 | CLASS IN  |
///     +--------+--------+--------+--------+--------+--------+-----------------+-------+-------+
///
/// Positive response: FLAGS with R (0x8000), RCODE 0, ANCOUNT ≥ 1, then RR_NAME, TYPE NB,
/// CLASS IN, TTL (4), RDLENGTH (6 × n), then n × (NB_FLAGS (2), NB_ADDRESS (4)).
package enum NameQuery {
    /// The query for `name`, broadcast form (B bit and RD set).
    package static func request(id: UInt16, name: NetBIOSName) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 12 + name.encodedLength + 4)
        bytes[0] = UInt8(id >> 8)
        bytes[1] = UInt8(truncatingIfNeeded: id)
        bytes[2] = 0x01  // RD
        bytes[3] = 0x10  // B
        bytes[5] = 1  // QDCOUNT
        let end = bytes.withUnsafeMutableBytes { name.encode(into: $0, at: 12) }
        bytes[end + 1] = 0x20  // NB
        bytes[end + 3] = 0x01  // IN
        return bytes
    }

    /// The addresses in a positive response to query `id` for `name`; `nil` if `response` is not
    /// one (another id, a negative answer, or malformed).
    package static func addresses(inResponse response: RawSpan, id: UInt16, name: NetBIOSName) -> [UInt32]? {
        let bytes = Span<UInt8>(_bytes: response)
        guard bytes.count >= 12, bytes.loadBigEndian16(0) == id else { return nil }
        let flags = bytes.loadBigEndian16(2)
        guard flags & 0x8000 != 0, flags & 0x000F == 0, bytes.loadBigEndian16(6) >= 1 else { return nil }
        guard let (answer, at) = try? NetBIOSName.decode(bytes, at: 12, end: bytes.count, field: "RR_NAME"),
            answer.sameName(as: name), answer.suffix == name.suffix, at + 10 <= bytes.count
        else { return nil }
        guard bytes.loadBigEndian16(at) == 0x20 else { return nil }
        let length = Int(bytes.loadBigEndian16(at + 8))
        guard length % 6 == 0, at + 10 + length <= bytes.count else { return nil }
        return stride(from: at + 10, to: at + 10 + length, by: 6).map { bytes.loadBigEndian32($0 + 2) }
    }
}
