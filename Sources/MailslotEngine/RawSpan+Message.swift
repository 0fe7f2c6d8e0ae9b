/// Copies out of a message view: a callback's or `withNextMessage` body's message is a
/// `RawSpan` into the mailslot's ring, valid during the call only.
extension RawSpan {
    /// The bytes, copied into an array (to keep a message past its callback).
    public var byteArray: [UInt8] {
        withUnsafeBytes { Array($0) }
    }

    /// The bytes as UTF-8 text, copied (an invalid sequence becomes U+FFFD).
    public var utf8Text: String {
        withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
    }
}
