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

    /// The wait in seconds, `nil` for forever. Every spelling means what Win32 means by its
    /// value: `.milliseconds(0)` is at once and `.milliseconds(0xFFFFFFFF)` is forever.
    public var seconds: Double? {
        switch win32Value {
        case 0: 0
        case Self.win32Forever: nil
        case let value: Double(value) / 1000
        }
    }

    /// `true` when a read fails at once on an empty mailslot (Win32 timeout `0`).
    public var isImmediate: Bool { win32Value == 0 }

    /// The canonical spelling: `.immediate`, `.forever`, or `.milliseconds(N)` for any other N.
    public var normalized: ReadTimeout { ReadTimeout(win32: win32Value) }

    /// Timeouts are equal when Win32 would treat them alike (`.milliseconds(0) == .immediate`).
    public static func == (lhs: ReadTimeout, rhs: ReadTimeout) -> Bool { lhs.win32Value == rhs.win32Value }

    public func hash(into hasher: inout Hasher) { hasher.combine(win32Value) }

    public var description: String {
        switch normalized {
        case .immediate: "0"
        case .milliseconds(let value): "\(value)ms"
        case .forever: "forever"
        }
    }
}
