/// Builds mailslot-write datagrams byte-for-byte as Samba and scapy do (see
/// ``MailslotDatagram`` for the layout): every SMB header field zero, WordCount 17,
/// Setup = [1, priority, class], no padding before the data, DataOffset = 70 + N,
/// DGM_LENGTH = bytes after the 14-byte header.
public struct MailslotWriteEncoder: Sendable {
    /// MSG_TYPE: unique for one computer, group for a domain.
    public var type: DatagramType
    /// The node type bits of FLAGS (B-node by default, as a broadcast-only host).
    public var nodeType: NodeType = .b
    /// DGM_ID.
    public var id: UInt16 = 0
    /// SOURCE_IP as a 32-bit number (10.0.0.1 → 0x0A000001).
    public var sourceIP: UInt32 = 0
    /// SOURCE_PORT (138 when this host's datagram service sends).
    public var sourcePort: UInt16 = 138
    /// SOURCE_NAME: this computer.
    public var source: NetBIOSName
    /// DESTINATION_NAME: the computer or domain addressed.
    public var destination: NetBIOSName
    /// `\MAILSLOT\…`, as sent (peers compare it case-insensitively).
    public var mailslotName: String {
        didSet { nameBytes = Array(mailslotName.utf8) }
    }
    /// The name's bytes, kept so encoding allocates nothing per datagram.
    private var nameBytes: [UInt8]
    /// Setup[1]: the mailslot priority (1, as every known sender).
    public var priority: UInt16 = 1
    /// Setup[2]: the mailslot class (2, unreliable, as every known sender).
    public var mailslotClass: UInt16 = 2
    /// SMB Timeout; 0 as nmbd sends (scapy's default and Samba's source4 send 1000).
    public var timeout: UInt32 = 0

    /// An encoder for writes of `mailslotName` (`\MAILSLOT\…`) from `source` to `destination`.
    public init(type: DatagramType, source: NetBIOSName, destination: NetBIOSName, mailslotName: String) {
        self.type = type
        self.source = source
        self.destination = destination
        self.mailslotName = mailslotName
        self.nameBytes = Array(mailslotName.utf8)
    }

    /// Bytes of the datagram for `dataLength` bytes of data.
    public func encodedLength(dataLength: Int) -> Int {
        14 + source.encodedLength + destination.encodedLength + 70 + nameBytes.count + dataLength
    }

    /// Checks the mailslot name and the MS-MAIL size limits for `dataLength` bytes of data.
    /// - Throws: ``WireError/badMailslotName`` or ``WireError/tooLarge(size:limit:)``.
    public func validate(dataLength: Int) throws(WireError) {
        let name = nameBytes
        let valid = MailslotDatagram.hasMailslotPrefix(name.span, 0, name.count) && name.allSatisfy { $0 > 0 && $0 < 0x80 }
        guard valid else { throw .badMailslotName }
        if type.isGroup, dataLength > MailslotDatagram.groupDataLimit {
            throw .tooLarge(size: dataLength, limit: MailslotDatagram.groupDataLimit)
        }
        let nameAndData = name.count + 1 + dataLength
        guard nameAndData <= MailslotDatagram.nameAndDataLimit else {
            throw .tooLarge(size: nameAndData, limit: MailslotDatagram.nameAndDataLimit)
        }
    }

    /// Writes the datagram carrying `data` into `buffer`; returns its length.
    /// - Throws: as ``validate(dataLength:)``, and ``WireError/outOfBounds(_:)`` when `buffer`
    ///   is too small.
    public func encode(_ data: UnsafeRawBufferPointer, into buffer: UnsafeMutableRawBufferPointer) throws(WireError) -> Int {
        try validate(dataLength: data.count)
        let length = encodedLength(dataLength: data.count)
        guard buffer.count >= length else { throw .outOfBounds("buffer of \(buffer.count) bytes for \(length)") }
        let name = nameBytes
        buffer[0] = type.rawValue
        buffer[1] = nodeType.rawValue | 0x02  // FIRST, not MORE
        buffer.storeBigEndian16(id, at: 2)
        buffer.storeBigEndian16(UInt16(sourceIP >> 16), at: 4)
        buffer.storeBigEndian16(UInt16(truncatingIfNeeded: sourceIP), at: 6)
        buffer.storeBigEndian16(sourcePort, at: 8)
        buffer.storeBigEndian16(UInt16(length - 14), at: 10)
        buffer.storeBigEndian16(0, at: 12)
        let smb = destination.encode(into: buffer, at: source.encode(into: buffer, at: 14))
        for index in smb..<(smb + 69) { buffer[index] = 0 }
        buffer[smb] = 0xFF
        buffer[smb + 1] = 0x53
        buffer[smb + 2] = 0x4D
        buffer[smb + 3] = 0x42
        buffer[smb + 4] = 0x25
        buffer[smb + 32] = 17
        buffer.storeLittleEndian16(UInt16(data.count), at: smb + 35)
        buffer.storeLittleEndian16(UInt16(truncatingIfNeeded: timeout), at: smb + 45)
        buffer.storeLittleEndian16(UInt16(timeout >> 16), at: smb + 47)
        buffer.storeLittleEndian16(UInt16(data.count), at: smb + 55)
        buffer.storeLittleEndian16(UInt16(70 + name.count), at: smb + 57)
        buffer[smb + 59] = 3
        buffer.storeLittleEndian16(1, at: smb + 61)
        buffer.storeLittleEndian16(priority, at: smb + 63)
        buffer.storeLittleEndian16(mailslotClass, at: smb + 65)
        buffer.storeLittleEndian16(UInt16(name.count + 1 + data.count), at: smb + 67)
        var at = smb + 69
        for byte in name {
            buffer[at] = byte
            at += 1
        }
        buffer[at] = 0
        at += 1
        if let base = buffer.baseAddress, let source = data.baseAddress, !data.isEmpty {
            (base + at).copyMemory(from: source, byteCount: data.count)
        }
        return at + data.count
    }

    /// The datagram carrying `data`, as a new array.
    public func encode(_ data: [UInt8]) throws(WireError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: encodedLength(dataLength: data.count))
        let result: Result<Int, WireError> = out.withUnsafeMutableBytes { buffer in
            data.withUnsafeBytes { bytes in Result { () throws(WireError) in try encode(bytes, into: buffer) } }
        }
        _ = try result.get()
        return out
    }
}

extension UnsafeMutableRawBufferPointer {
    @inline(__always) func storeBigEndian16(_ value: UInt16, at offset: Int) {
        self[offset] = UInt8(value >> 8)
        self[offset + 1] = UInt8(truncatingIfNeeded: value)
    }
    @inline(__always) func storeLittleEndian16(_ value: UInt16, at offset: Int) {
        self[offset] = UInt8(truncatingIfNeeded: value)
        self[offset + 1] = UInt8(value >> 8)
    }
}
