/// A NetBIOS name: 15 name bytes (upper-case ASCII padded with spaces) and a suffix byte.
///
/// On the wire it is *first-level encoded* (RFC 1001/1002 §4.1): each of the 16 raw bytes
/// becomes two letters, `'A' + high nibble` and `'A' + low nibble`, behind a length byte of 32,
/// followed by optional scope labels and a terminating zero:
///
///     0      1                                  33     34
///     +------+----------------------------------+------+
///     | 0x20 | 32 letters A…P (16 raw bytes)     | 0x00 |   (no scope: 34 bytes)
///     +------+----------------------------------+------+
///
/// The raw bytes are stored inline (two words), so decoding a name allocates nothing.
public struct NetBIOSName: Hashable, Sendable, CustomStringConvertible {
    /// Raw bytes 0–7 and 8–15, little-endian (byte 0 in the lowest bits of `low`).
    private var low: UInt64
    private var high: UInt64
    /// Scope labels after the name, dot-separated (usually empty).
    public var scope: String

    /// Suffixes that matter for mailslots.
    public enum Suffix {
        /// `<00>`: every computer's name, and every domain member's group name.
        public static let workstation: UInt8 = 0x00
        /// `<1C>`: a domain's domain controllers (a group).
        public static let domainControllers: UInt8 = 0x1C
        /// `<1D>`: a subnet's local master browser of a domain.
        public static let localMasterBrowser: UInt8 = 0x1D
        /// `<1E>`: browser election among a domain's potential browsers (a group).
        public static let browserElection: UInt8 = 0x1E
    }

    /// Makes a name from text (upper-cased, at most 15 ASCII bytes) and a suffix. The name `*`
    /// is padded with zero bytes, every other name with spaces.
    /// - Throws: ``WireError/badComputerName(_:)`` when the text cannot be a NetBIOS name.
    public init(_ text: String, suffix: UInt8, scope: String = "") throws(WireError) {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty, bytes.count <= 15, bytes.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != 0x2E }) else {
            throw .badComputerName(text)
        }
        let pad: UInt8 = text == "*" ? 0x00 : 0x20
        var raw = [UInt8](repeating: pad, count: 16)
        for (index, byte) in bytes.enumerated() {
            raw[index] = (byte >= 0x61 && byte <= 0x7A) ? byte - 0x20 : byte
        }
        raw[15] = suffix
        self.init(raw: raw, scope: scope)
    }

    /// Makes a name from its 16 raw bytes (for names such as `\x01\x02__MSBROWSE__\x02<01>`).
    public init(raw: [UInt8], scope: String = "") {
        precondition(raw.count == 16, "a NetBIOS name has 16 raw bytes")
        var low: UInt64 = 0
        var high: UInt64 = 0
        for index in 0..<8 {
            low |= UInt64(raw[index]) << (8 * UInt64(index))
            high |= UInt64(raw[index + 8]) << (8 * UInt64(index))
        }
        self.low = low
        self.high = high
        self.scope = scope
    }

    /// Raw byte `index` (0…15; 15 is the suffix).
    public subscript(index: Int) -> UInt8 {
        UInt8(truncatingIfNeeded: (index < 8 ? low : high) >> (8 * UInt64(index & 7)))
    }

    /// The 16th byte, the name type.
    public var suffix: UInt8 { self[15] }

    /// The name without its padding.
    public var name: String {
        var bytes = (0..<15).map { self[$0] }
        while let last = bytes.last, last == 0x20 || last == 0x00 { bytes.removeLast() }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `NAME<1d>`, as tshark prints it (non-printable bytes as `<xx>`).
    public var description: String {
        var text = ""
        var bytes = (0..<15).map { self[$0] }
        while let last = bytes.last, last == 0x20 || last == 0x00 { bytes.removeLast() }
        for byte in bytes {
            if byte >= 0x21 && byte < 0x7F { text.unicodeScalars.append(Unicode.Scalar(byte)) } else { text += "<" + hex(byte) + ">" }
        }
        return text + "<" + hex(suffix) + ">" + (scope.isEmpty ? "" : "." + scope)
    }

    /// Parses what ``description`` prints (`NAME<1d>`, `<01><02>__MSBROWSE__<02><01>`);
    /// `nil` if `text` is not that form.
    public init?(description text: String) {
        var scope = ""
        var body = Substring(text)
        if let close = body.lastIndex(of: ">"), let dot = body[close...].firstIndex(of: ".") {
            scope = String(body[body.index(after: dot)...])
            body = body[..<dot]
        }
        var raw: [UInt8] = []
        var index = body.startIndex
        while index < body.endIndex {
            if body[index] == "<", let end = body[index...].firstIndex(of: ">"),
                body.distance(from: index, to: end) == 3,
                let byte = UInt8(body[body.index(after: index)..<end], radix: 16)
            {
                raw.append(byte)
                index = body.index(after: end)
            } else {
                guard let ascii = body[index].asciiValue else { return nil }
                raw.append(ascii)
                index = body.index(after: index)
            }
        }
        guard let suffix = raw.popLast(), raw.count <= 15, !raw.isEmpty else { return nil }
        let pad: UInt8 = raw == [0x2A] ? 0x00 : 0x20
        self.init(raw: raw + [UInt8](repeating: pad, count: 15 - raw.count) + [suffix], scope: scope)
    }

    /// Whether the two names are the same name, whatever their suffix and scope.
    public func sameName(as other: NetBIOSName) -> Bool {
        low == other.low && (high & 0x00FF_FFFF_FFFF_FFFF) == (other.high & 0x00FF_FFFF_FFFF_FFFF)
    }

    /// Bytes the encoded name takes on the wire.
    public var encodedLength: Int {
        34 + scope.split(separator: ".").reduce(0) { $0 + 1 + $1.utf8.count }
    }

    /// Writes the encoded name at `offset`; returns the offset after it.
    public func encode(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) -> Int {
        var at = offset
        buffer[at] = 0x20
        at += 1
        for index in 0..<16 {
            let byte = self[index]
            buffer[at] = 0x41 + (byte >> 4)
            buffer[at + 1] = 0x41 + (byte & 0x0F)
            at += 2
        }
        for label in scope.split(separator: ".") {
            let bytes = Array(label.utf8)
            buffer[at] = UInt8(bytes.count)
            at += 1
            for byte in bytes {
                buffer[at] = byte
                at += 1
            }
        }
        buffer[at] = 0
        return at + 1
    }

    /// Reads an encoded name at `offset` of `span`, which ends at `end` (at most its length).
    /// - Returns: the name and the offset after it.
    public static func decode(_ span: RawSpan, at offset: Int, end: Int, field: String) throws(WireError) -> (NetBIOSName, Int) {
        try decode(Span<UInt8>(_bytes: span), at: offset, end: min(end, span.byteCount), field: field)
    }

    /// As ``decode(_:at:end:field:)-(RawSpan,_,_,_)``, from a buffer pointer.
    @available(*, deprecated, message: "pass a RawSpan (the buffer's `bytes`)")
    public static func decode(
        _ bytes: UnsafeRawBufferPointer, at offset: Int, end: Int, field: String
    ) throws(WireError) -> (NetBIOSName, Int) {
        try decode(bytes.bytes, at: offset, end: end, field: field)
    }

    /// The decoder, over the datagram's bytes.
    static func decode(_ bytes: Span<UInt8>, at offset: Int, end: Int, field: String) throws(WireError) -> (NetBIOSName, Int) {
        guard offset + 34 <= end else { throw .truncated(field: field) }
        guard bytes[offset] == 0x20 else { throw .badName("\(field): length byte \(bytes[offset]), not 32") }
        // 32 letters 'A'…'P', two per byte (RFC 1001 first-level encoding), read in place;
        // one check for all of them at the end (a letter outside the range sets a high bit).
        let encoded = offset + 1
        var low: UInt64 = 0
        var high: UInt64 = 0
        var outside: UInt8 = 0
        for index in 0..<8 {
            let first = bytes[encoded + 2 * index] &- 0x41
            let second = bytes[encoded + 2 * index + 1] &- 0x41
            let third = bytes[encoded + 16 + 2 * index] &- 0x41
            let fourth = bytes[encoded + 17 + 2 * index] &- 0x41
            outside |= first | second | third | fourth
            low |= UInt64(first << 4 | second) << (8 * UInt64(index))
            high |= UInt64(third << 4 | fourth) << (8 * UInt64(index))
        }
        guard outside < 16 else { throw .badName("\(field): not first-level encoded") }
        var at = offset + 33
        var scope = ""
        var total = 33
        while true {
            guard at < end else { throw .truncated(field: field) }
            let length = Int(bytes[at])
            at += 1
            if length == 0 { break }
            guard length <= 63, at + length <= end else { throw .badName("\(field): bad scope label") }
            // Printable ASCII without dots, as names are: anything else would not survive the
            // trip through `scope` (a String) and back onto the wire.
            var label: [UInt8] = []
            label.reserveCapacity(length)
            for index in at..<(at + length) {
                let byte = bytes[index]
                guard byte > 0x20 && byte < 0x7F && byte != 0x2E else {
                    throw .badName("\(field): scope label with a byte outside printable ASCII, or a dot")
                }
                label.append(byte)
            }
            total += length + 1
            guard total <= 255 else { throw .badName("\(field): longer than 255 bytes") }
            if !scope.isEmpty { scope += "." }
            scope += String(decoding: label, as: UTF8.self)
            at += length
        }
        return (NetBIOSName(low: low, high: high, scope: scope), at)
    }

    private init(low: UInt64, high: UInt64, scope: String) {
        self.low = low
        self.high = high
        self.scope = scope
    }
}

private func hex(_ byte: UInt8) -> String {
    let digits = Array("0123456789abcdef")
    return String([digits[Int(byte >> 4)], digits[Int(byte & 15)]])
}
