/// A mailslot write as it travels between computers: an SMB_COM_TRANSACTION "mailslot write"
/// (MS-MAIL 2.2.1) inside a NetBIOS datagram (RFC 1002 §4.4) on UDP 138.
///
/// NetBIOS header, big-endian (offsets from the start of the UDP payload):
///
///     0        1        2                 4                                 8
///     +--------+--------+-----------------+---------------------------------+
///     |MSG_TYPE| FLAGS  |     DGM_ID      |           SOURCE_IP             |
///     +--------+--------+-----------------+---------------------------------+
///     8                 10                12                14
///     +-----------------+-----------------+-----------------+--------------------
///     |   SOURCE_PORT   | DGM_LENGTH (*)  |  PACKET_OFFSET  | SOURCE_NAME (34+)
///     +-----------------+-----------------+-----------------+--------------------
///     | DESTINATION_NAME (34+) | SMB message (user data) ...
///     (*) bytes after this 14-byte header
///
/// SMB message, little-endian (offsets from the SMB header; N = mailslot name length without
/// its NUL, L = data length):
///
///     0   "\xFFSMB"   4  0x25   5  status, flags, ... MID (27 zero bytes)   32  WordCount 17
///     33  TotalParameterCount 0   35  TotalDataCount L   37  MaxParameterCount   39  MaxDataCount
///     41  MaxSetupCount   42  reserved   43  Flags   45  Timeout (u32)   49  reserved
///     51  ParameterCount 0   53  ParameterOffset   55  DataCount L   57  DataOffset (70 + N)
///     59  SetupCount 3   60  reserved   61  opcode 1 (write)   63  priority   65  class 2
///     67  ByteCount (N + 1 + L)   69  "\MAILSLOT\name" NUL   DataOffset  data (L bytes)
///
/// Decoding never copies the data: ``dataRange`` locates it in the datagram (by DataOffset, as
/// Samba does), so a receiver can hand it on as a borrowed view.
public struct MailslotDatagram: Sendable, Hashable {
    /// MSG_TYPE: direct unique (0x10), direct group (0x11) or broadcast (0x12).
    public var type: DatagramType
    /// FLAGS: node type bits and FIRST (0x02); MORE (0x01) is never set.
    public var flags: UInt8
    /// DGM_ID, the sender's datagram id.
    public var id: UInt16
    /// SOURCE_IP as the 32-bit big-endian value (10.0.0.1 → 0x0A000001).
    public var sourceIP: UInt32
    /// SOURCE_PORT.
    public var sourcePort: UInt16
    /// SOURCE_NAME: the sending computer's name.
    public var source: NetBIOSName
    /// DESTINATION_NAME: the computer or group addressed.
    public var destination: NetBIOSName
    /// Where `\MAILSLOT\…` (without its NUL) lies in the datagram.
    public var mailslotNameRange: Range<Int>
    /// Setup[1] of the transaction: the mailslot priority (1 from every known sender).
    public var priority: UInt16
    /// Setup[2]: the mailslot class (2, unreliable, from every known sender).
    public var mailslotClass: UInt16
    /// The SMB transaction's Timeout, in milliseconds (peers ignore it).
    public var timeout: UInt32
    /// Where the message lies in the datagram.
    public var dataRange: Range<Int>

    /// The most bytes of mailslot name (with its NUL) plus data in one datagram (MS-MAIL 2.1).
    public static let nameAndDataLimit = 443
    /// The most data bytes to a group or broadcast name.
    public static let groupDataLimit = 424
    /// The bytes a datagram adds around name and data when names have no scope.
    public static let overhead = 152

    /// Decodes a datagram, checking every length and offset against it (the nmbd rules of
    /// mailslot-spec C.3, plus fragment and size checks).
    /// - Throws: a ``WireError`` for anything that is not one well-formed mailslot write.
    public static func decode(_ span: RawSpan) throws(WireError) -> MailslotDatagram {
        try decode(Span<UInt8>(_bytes: span))
    }

    /// As ``decode(_:)-(RawSpan)``, from a buffer pointer.
    @available(*, deprecated, message: "pass a RawSpan (the buffer's `bytes`)")
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(WireError) -> MailslotDatagram {
        try decode(bytes.bytes)
    }

    /// The decoder, over the datagram's bytes (every index is checked against the span).
    static func decode(_ bytes: Span<UInt8>) throws(WireError) -> MailslotDatagram {
        let count = bytes.count
        guard count >= 14 else { throw .truncated(field: "NetBIOS header") }
        guard let type = DatagramType(rawValue: bytes[0]) else { throw .unsupportedMessageType(bytes[0]) }
        let flags = bytes[1]
        guard flags & 0x01 == 0, bytes.loadBigEndian16(12) == 0 else { throw .fragmented }
        let declared = Int(bytes.loadBigEndian16(10))
        guard declared <= count - 14 else { throw .lengthMismatch(declared: declared, available: count - 14) }
        let end = 14 + declared
        let (source, afterSource) = try NetBIOSName.decode(bytes, at: 14, end: end, field: "SOURCE_NAME")
        let (destination, smb) = try NetBIOSName.decode(bytes, at: afterSource, end: end, field: "DESTINATION_NAME")

        guard smb + 33 <= end else { throw .truncated(field: "SMB header") }
        guard bytes[smb] == 0xFF, bytes[smb + 1] == 0x53, bytes[smb + 2] == 0x4D, bytes[smb + 3] == 0x42 else { throw .notSMB }
        guard bytes[smb + 4] == 0x25 else { throw .notTransaction(command: bytes[smb + 4]) }
        guard bytes[smb + 32] == 17 else { throw .notMailslotWrite("WordCount \(bytes[smb + 32])") }
        guard smb + 69 <= end else { throw .truncated(field: "transaction words") }
        guard bytes[smb + 59] == 3 else { throw .notMailslotWrite("SetupCount \(bytes[smb + 59])") }
        let opcode = bytes.loadLittleEndian16(smb + 61)
        guard opcode == 1 else { throw .notMailslotWrite("opcode \(opcode)") }
        let totalDataCount = Int(bytes.loadLittleEndian16(smb + 35))
        let dataCount = Int(bytes.loadLittleEndian16(smb + 55))
        let dataOffset = Int(bytes.loadLittleEndian16(smb + 57))
        let byteCount = Int(bytes.loadLittleEndian16(smb + 67))
        guard totalDataCount == dataCount else { throw .outOfBounds("TotalDataCount \(totalDataCount) ≠ DataCount \(dataCount)") }
        guard smb + 69 + byteCount <= end else { throw .outOfBounds("ByteCount \(byteCount) past the datagram") }

        let nameStart = smb + 69
        var nameEnd = nameStart
        while nameEnd < smb + 69 + byteCount, bytes[nameEnd] != 0 {
            guard bytes[nameEnd] < 0x80 else { throw .badMailslotName }
            nameEnd += 1
        }
        guard nameEnd < smb + 69 + byteCount else { throw .badMailslotName }
        guard hasMailslotPrefix(bytes, nameStart, nameEnd) else { throw .badMailslotName }

        let dataStart = smb + dataOffset
        guard dataOffset >= 70 + (nameEnd - nameStart), dataStart + dataCount <= end else {
            throw .outOfBounds("DataOffset \(dataOffset) / DataCount \(dataCount)")
        }
        let nameAndData = nameEnd - nameStart + 1 + dataCount
        guard nameAndData <= nameAndDataLimit else { throw .tooLarge(size: nameAndData, limit: nameAndDataLimit) }
        if type.isGroup, dataCount > groupDataLimit { throw .tooLarge(size: dataCount, limit: groupDataLimit) }

        return MailslotDatagram(
            type: type, flags: flags, id: bytes.loadBigEndian16(2), sourceIP: bytes.loadBigEndian32(4),
            sourcePort: bytes.loadBigEndian16(8), source: source, destination: destination,
            mailslotNameRange: nameStart..<nameEnd, priority: bytes.loadLittleEndian16(smb + 63),
            mailslotClass: bytes.loadLittleEndian16(smb + 65), timeout: bytes.loadLittleEndian32(smb + 45),
            dataRange: dataStart..<(dataStart + dataCount))
    }

    /// The mailslot name (`\MAILSLOT\…`) from the datagram it was decoded from.
    public func mailslotName(in span: RawSpan) -> String {
        let bytes = Span<UInt8>(_bytes: span)
        var name: [UInt8] = []
        for index in mailslotNameRange where index < bytes.count { name.append(bytes[index]) }
        return String(decoding: name, as: UTF8.self)
    }

    /// As ``mailslotName(in:)-(RawSpan)``, from a buffer pointer.
    @available(*, deprecated, message: "pass a RawSpan (the buffer's `bytes`)")
    public func mailslotName(in bytes: UnsafeRawBufferPointer) -> String {
        mailslotName(in: bytes.bytes)
    }

    /// `\MAILSLOT\`, upper-case (built once: the decoder allocates nothing per datagram).
    static let mailslotPrefix: [UInt8] = Array("\\MAILSLOT\\".utf8)

    /// Whether `bytes[start..<end]` starts with `\MAILSLOT\` (any case) and has more after it.
    static func hasMailslotPrefix(_ bytes: Span<UInt8>, _ start: Int, _ end: Int) -> Bool {
        let prefix = mailslotPrefix
        guard end - start > prefix.count else { return false }
        for index in 0..<prefix.count {
            var byte = bytes[start + index]
            if byte >= 0x61 && byte <= 0x7A { byte -= 0x20 }
            if byte != prefix[index] { return false }
        }
        return true
    }
}

extension Span<UInt8> {
    @inline(__always) func loadBigEndian16(_ offset: Int) -> UInt16 { UInt16(self[offset]) << 8 | UInt16(self[offset + 1]) }
    @inline(__always) func loadLittleEndian16(_ offset: Int) -> UInt16 { UInt16(self[offset + 1]) << 8 | UInt16(self[offset]) }
    @inline(__always) func loadBigEndian32(_ offset: Int) -> UInt32 {
        UInt32(loadBigEndian16(offset)) << 16 | UInt32(loadBigEndian16(offset + 2))
    }
    @inline(__always) func loadLittleEndian32(_ offset: Int) -> UInt32 {
        UInt32(loadLittleEndian16(offset + 2)) << 16 | UInt32(loadLittleEndian16(offset))
    }
}
