/// Size limits shared by every transport.
public enum MessageSizeLimit {
    /// The largest local message, in bytes. Windows documents messages below 64 KB for
    /// non-broadcast mailslots; this port enforces 65,535 bytes whatever the mailslot's own
    /// maximum says (a maximum of `0` or `0xFFFFFFFF` means "up to this").
    public static let local = 65_535
    /// The largest message for a domain or `*` broadcast (`ERROR_BAD_NETPATH` above it).
    public static let broadcast = 424
    /// The NetBIOS datagram budget for mailslot name plus data (MS-MAIL 2.1).
    public static let nameAndData = 443

    /// `true` for a maximum a mailslot can be created with: `0` and `0xFFFFFFFF` ("any size",
    /// up to ``local``) or `1...local`. Anything else would be cut without a word, so it is
    /// refused.
    public static func isValidMaximum(_ maxMessageSize: UInt32) -> Bool {
        maxMessageSize == UInt32.max || maxMessageSize <= UInt32(local)
    }

    /// The effective limit for a mailslot created with `maxMessageSize`.
    public static func effective(_ maxMessageSize: UInt32) -> Int {
        maxMessageSize == 0 ? local : min(Int(maxMessageSize), local)
    }
}
