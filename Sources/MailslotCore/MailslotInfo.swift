/// What `GetMailslotInfo` reports about a mailslot.
public struct MailslotInfo: Hashable, Sendable {
    /// The maximum message size given at creation; `0` means any size.
    public var maxMessageSize: UInt32
    /// The size of the next message, or `nil` when the mailslot is empty
    /// (Win32 `MAILSLOT_NO_MESSAGE`). A queued zero-length message reports `0`.
    public var nextMessageSize: Int?
    /// The number of messages waiting.
    public var messageCount: Int
    /// The current read timeout.
    public var readTimeout: ReadTimeout

    /// Win32's `MAILSLOT_NO_MESSAGE`.
    public static let win32NoMessage: UInt32 = 0xFFFF_FFFF

    /// The values `GetMailslotInfo` reports (`nextMessageSize` `nil`: no message).
    public init(maxMessageSize: UInt32, nextMessageSize: Int?, messageCount: Int, readTimeout: ReadTimeout) {
        self.maxMessageSize = maxMessageSize
        self.nextMessageSize = nextMessageSize
        self.messageCount = messageCount
        self.readTimeout = readTimeout
    }

    /// ``nextMessageSize`` in its Win32 encoding.
    public var win32NextSize: UInt32 {
        nextMessageSize.map { UInt32($0) } ?? Self.win32NoMessage
    }
}
