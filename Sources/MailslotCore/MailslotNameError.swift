/// Why a text is not a valid mailslot name.
public enum MailslotNameError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The text is empty (Win32: a NULL name, `ERROR_PATH_NOT_FOUND`).
    case empty
    /// The text does not start with `\\host\`.
    case missingPrefix
    /// The device word after the host is not `mailslot`.
    case wrongDevice(String)
    /// A character that a mailslot path may not hold, at a character offset in the path.
    case illegalCharacter(Character, offset: Int)
    /// The path is empty, or has an empty pseudo-directory (`a\\b`, a trailing `\`).
    case emptyComponent
    /// The computer or domain part is empty, too long, or holds an illegal character.
    case invalidHost(String)
    /// The whole name is longer than ``MailslotName/maxLength``.
    case tooLong(length: Int, limit: Int)
    /// A remote form was given where only `\\.\mailslot\...` is allowed (creating a mailslot).
    case notLocal

    /// The Win32 error code Windows reports for this kind of bad name.
    public var win32Code: UInt32 {
        switch self {
        case .empty: 3  // ERROR_PATH_NOT_FOUND (CreateMailslot(NULL))
        case .tooLong: 206  // ERROR_FILENAME_EXCED_RANGE
        default: 123  // ERROR_INVALID_NAME
        }
    }

    public var description: String {
        switch self {
        case .empty: "the name is empty"
        case .missingPrefix: "the name does not start with \\\\host\\mailslot\\"
        case .wrongDevice(let word): "the device word is '\(word)', not 'mailslot'"
        case .illegalCharacter(let character, let offset):
            "illegal character \(character.unicodeScalars.map { "U+" + String($0.value, radix: 16, uppercase: true) }.joined()) at path offset \(offset)"
        case .emptyComponent: "the path is empty or has an empty pseudo-directory"
        case .invalidHost(let host): "invalid computer or domain name '\(host)'"
        case .tooLong(let length, let limit): "the name is \(length) characters long; the limit is \(limit)"
        case .notLocal: "only \\\\.\\mailslot\\ names can be created"
        }
    }
}
