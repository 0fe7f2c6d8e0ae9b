/// Why a datagram could not be decoded, or a message not encoded.
///
/// The engine counts a decoding error as a `malformed` drop (an oversize one as `oversize`);
/// nothing in the codec traps on hostile input.
public enum WireError: Error, Hashable, Sendable {
    /// The datagram ends before `field` does.
    case truncated(field: String)
    /// Not a datagram that carries data (0x10 DIRECT_UNIQUE, 0x11 DIRECT_GROUP, 0x12 BROADCAST).
    case unsupportedMessageType(UInt8)
    /// A fragment (MORE set, or PACKET_OFFSET ≠ 0): no peer fragments mailslot writes.
    case fragmented
    /// DGM_LENGTH claims more bytes than the datagram has.
    case lengthMismatch(declared: Int, available: Int)
    /// A NetBIOS name that is not 32 letters `A`…`P` with well-formed scope labels.
    case badName(String)
    /// The user data is not an SMB message (magic `\xFFSMB`).
    case notSMB
    /// The SMB command is not SMB_COM_TRANSACTION (0x25).
    case notTransaction(command: UInt8)
    /// WordCount ≠ 17, SetupCount ≠ 3 or opcode ≠ 1: not a mailslot write.
    case notMailslotWrite(String)
    /// A count or offset points outside the datagram (the nmbd checks).
    case outOfBounds(String)
    /// The mailslot name is not NUL-terminated ASCII starting with `\MAILSLOT\`.
    case badMailslotName
    /// Name + data exceed 443 bytes, or data exceeds 424 bytes to a group or broadcast.
    case tooLarge(size: Int, limit: Int)
    /// A computer or domain name that cannot be a NetBIOS name (empty, over 15 bytes, not ASCII).
    case badComputerName(String)
}
