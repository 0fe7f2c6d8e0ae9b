/// NetBIOS datagram message types (RFC 1002 §4.4.1, MSG_TYPE).
public enum DatagramType: UInt8, Sendable, Hashable {
    /// To one unique name.
    case directUnique = 0x10
    /// To a group name (domain broadcasts are DIRECT_GROUP to the subnet broadcast address).
    case directGroup = 0x11
    /// To every name (`*`).
    case broadcast = 0x12

    /// Whether the 424-byte limit for group and broadcast datagrams applies.
    public var isGroup: Bool { self != .directUnique }
}

/// The sender's NetBIOS node type, bits 0x0C of FLAGS (RFC 1002 §4.4.1).
public enum NodeType: UInt8, Sendable, Hashable {
    /// Broadcast node (what scapy and Windows clients send).
    case b = 0x00
    /// Point-to-point node.
    case p = 0x04
    /// Mixed node (what nmbd sends).
    case m = 0x08
    /// Hybrid / NBDD (what Samba's source4 library sends).
    case h = 0x0C
}
