/// How long a read waits for a message on an empty mailslot (Win32 `lReadTimeout`).
public enum ReadTimeout: Hashable, Sendable, CustomStringConvertible {
    /// Fail at once with ``MailslotError/timeout`` (Win32 `0`).
    case immediate
    /// Fail with ``MailslotError/timeout`` after this many milliseconds.
    case milliseconds(UInt32)
    /// Wait until a message arrives (Win32 `MAILSLOT_WAIT_FOREVER`, `0xFFFFFFFF`).
    case forever

    /// Win32's `MAILSLOT_WAIT_FOREVER`.
    public static let win32Forever: UInt32 = 0xFFFF_FFFF

    /// Makes a timeout from its Win32 encoding: `0`, `N` ms, or `0xFFFFFFFF` = forever.
    public init(win32 value: UInt32) {
        switch value {
        case 0: self = .immediate
        case Self.win32Forever: self = .forever
        default: self = .milliseconds(value)
        }
    }

    /// Parses `0`, a number of milliseconds, or `forever` (also `-1`).
    public init?(parsing text: String) {
        if text == "forever" || text == "-1" {
            self = .forever
        } else if let value = UInt32(text), value != Self.win32Forever {
            self.init(win32: value)
        } else {
            return nil
        }
    }

    /// The Win32 encoding, as `GetMailslotInfo` reports it.
    public var win32Value: UInt32 {
        switch self {
        case .immediate: 0
        case .milliseconds(let value): value
        case .forever: Self.win32Forever
        }
    }

    /// The wait in seconds, `nil` for forever.
    public var seconds: Double? {
        switch self {
        case .immediate: 0
        case .milliseconds(let value): Double(value) / 1000
        case .forever: nil
        }
    }

    public var description: String {
        switch self {
        case .immediate: "0"
        case .milliseconds(let value): "\(value)ms"
        case .forever: "forever"
        }
    }
}
