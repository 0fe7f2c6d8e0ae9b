/// A parsed, validated mailslot name in any of its Win32 forms.
///
/// | form                      | meaning                                             |
/// |---------------------------|-----------------------------------------------------|
/// | `\\.\mailslot\[path\]x`   | a mailslot on this computer (the only server form)  |
/// | `\\computer\mailslot\x`   | the mailslot `x` on one remote computer             |
/// | `\\domain\mailslot\x`     | every mailslot `x` in a domain                      |
/// | `\\*\mailslot\x`          | every mailslot `x` in the primary domain            |
///
/// A computer and a domain cannot be told apart by spelling, so both parse as
/// ``Scope/remote(_:)``; the network layer decides by resolution.
///
/// Names are case-insensitive: two names are equal when their ``canonicalPath``s are.
/// The path may hold pseudo-directories separated by `\` (`\\.\mailslot\abc\def`).
///
/// Rules (each failure is a ``MailslotNameError``):
/// - the name is not empty;
/// - it starts with `\\`, then a host (`.`, `*` or a computer/domain name), `\`, the device word
///   `mailslot` (any case), `\`, then the path;
/// - path components are non-empty and hold no control character and none of `" * / < > ? |`;
/// - the whole name is at most ``maxLength`` (259) characters, Win32's `MAX_PATH` less the
///   terminating NUL.
public struct MailslotName: Hashable, Sendable, CustomStringConvertible {
    /// Where a name points.
    public enum Scope: Hashable, Sendable {
        /// `\\.\mailslot\x`: this computer.
        case local
        /// `\\name\mailslot\x`: a remote computer or a domain, told apart by resolution.
        case remote(String)
        /// `\\*\mailslot\x`: every computer of the primary domain.
        case primaryDomain
    }

    /// The longest accepted name, in characters (Win32 `MAX_PATH` minus the NUL).
    public static let maxLength = 259
    /// The longest accepted computer or domain name, in characters.
    public static let maxHostLength = 255

    /// Where the name points.
    public let scope: Scope
    /// The path after `\mailslot\`, as written (`abc\def`).
    public let path: String
    /// The path folded to lower case: the key two names are compared by.
    public let canonicalPath: String

    /// Parses any full form (`\\.\mailslot\x`, `\\host\mailslot\x`, `\\*\mailslot\x`).
    /// - Throws: ``MailslotNameError`` naming the first rule the text breaks.
    public init(_ text: String) throws(MailslotNameError) {
        guard !text.isEmpty else { throw .empty }
        guard text.count <= Self.maxLength else { throw .tooLong(length: text.count, limit: Self.maxLength) }
        guard text.hasPrefix("\\\\") else { throw .missingPrefix }
        let parts = text.dropFirst(2).split(separator: "\\", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw .missingPrefix }
        guard parts[1].lowercased() == "mailslot" else { throw .wrongDevice(String(parts[1])) }
        let host = String(parts[0])
        switch host {
        case ".": scope = .local
        case "*": scope = .primaryDomain
        default:
            try Self.validateHost(host)
            scope = .remote(host)
        }
        path = String(parts[2])
        try Self.validatePath(path)
        canonicalPath = Self.fold(path)
    }

    /// Parses the short form `x` (meaning `\\.\mailslot\x`) or any full form.
    /// - Throws: ``MailslotNameError``.
    public init(shortOrFull text: String) throws(MailslotNameError) {
        if text.hasPrefix("\\") || text.isEmpty {
            try self.init(text)
        } else {
            try self.init("\\\\.\\mailslot\\" + text)
        }
    }

    /// Makes the local name `\\.\mailslot\<path>`.
    /// - Throws: ``MailslotNameError`` when `path` breaks a rule.
    public init(localPath: String) throws(MailslotNameError) {
        try self.init("\\\\.\\mailslot\\" + localPath)
    }

    /// The full name, `\\.\mailslot\path` for local names.
    public var fullName: String {
        switch scope {
        case .local: "\\\\.\\mailslot\\" + path
        case .remote(let host): "\\\\" + host + "\\mailslot\\" + path
        case .primaryDomain: "\\\\*\\mailslot\\" + path
        }
    }

    /// The name as it travels in an SMB mailslot write: `\MAILSLOT\path`.
    public var wireName: String { "\\MAILSLOT\\" + path }

    public var description: String { fullName }

    public static func == (lhs: MailslotName, rhs: MailslotName) -> Bool {
        lhs.canonicalPath == rhs.canonicalPath && lhs.canonicalScope == rhs.canonicalScope
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(canonicalPath)
        hasher.combine(canonicalScope)
    }

    private var canonicalScope: Scope {
        if case .remote(let host) = scope { return .remote(Self.fold(host)) }
        return scope
    }

    /// Characters refused anywhere in a path, besides control characters.
    static let illegalPathCharacters: Set<Character> = ["\"", "*", "/", "<", ">", "?", "|"]

    private static func validatePath(_ path: String) throws(MailslotNameError) {
        guard !path.isEmpty else { throw .emptyComponent }
        var offset = 0
        var previousWasSeparator = true
        for character in path {
            if character == "\\" {
                if previousWasSeparator { throw .emptyComponent }
                previousWasSeparator = true
            } else {
                if isControl(character) || illegalPathCharacters.contains(character) {
                    throw .illegalCharacter(character, offset: offset)
                }
                previousWasSeparator = false
            }
            offset += 1
        }
        if previousWasSeparator { throw .emptyComponent }
    }

    private static func validateHost(_ host: String) throws(MailslotNameError) {
        guard !host.isEmpty else { throw .invalidHost(host) }
        guard host.count <= maxHostLength else { throw .invalidHost(host) }
        for character in host {
            let ok = character.isLetter || character.isNumber || "-_.$!#%&'(){}^~@".contains(character)
            if !ok || isControl(character) { throw .invalidHost(host) }
        }
    }

    private static func isControl(_ character: Character) -> Bool {
        character.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }
    }

    /// Simple one-to-one case folding, scalar by scalar (like Windows' upcase table, the fold
    /// never changes a name's length).
    static func fold(_ text: String) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            let lower = scalar.properties.lowercaseMapping.unicodeScalars
            if lower.count == 1, let only = lower.first {
                scalars.append(only)
            } else {
                scalars.append(scalar)
            }
        }
        return String(scalars)
    }
}
