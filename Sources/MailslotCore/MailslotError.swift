/// Every way a mailslot operation can fail, each with the Win32 error code that Windows reports
/// for the same condition (see `docs/win32-mapping.md`).
public enum MailslotError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The name is malformed.
    case invalidName(MailslotNameError)
    /// `CreateMailslot` on a name that a live mailslot already has (`ERROR_ALREADY_EXISTS`).
    case alreadyExists(String)
    /// Opening a name that no server created (`ERROR_FILE_NOT_FOUND`).
    case fileNotFound(String)
    /// A read found no message within the read timeout (`ERROR_SEM_TIMEOUT`).
    case timeout
    /// The reader's buffer is smaller than the next message, which stays queued
    /// (`ERROR_INSUFFICIENT_BUFFER`).
    case insufficientBuffer(needed: Int, available: Int)
    /// The message is larger than the mailslot's maximum message size; it was not sent
    /// (`ERROR_INVALID_PARAMETER`; Windows leaves this open, see A.5 of the spec).
    case messageTooLarge(size: Int, limit: Int)
    /// The server's queue cannot take the message now; it was not sent
    /// (`ERROR_NOT_ENOUGH_QUOTA`: Windows "fails immediately if the message cannot be appended").
    case queueFull
    /// The mailslot's server closed or died; the message was not delivered (`ERROR_BROKEN_PIPE`).
    case serverGone
    /// The handle was closed already (`ERROR_INVALID_HANDLE`).
    case invalidHandle
    /// A parameter is out of range (`ERROR_INVALID_PARAMETER`).
    case invalidParameter(String)
    /// The call cannot run now because the same mailslot is in the middle of another operation
    /// on this thread, such as a blocking read of a mailslot from inside its own callback
    /// (`ERROR_BUSY`).
    case busy(String)
    /// A remote or domain target cannot be reached, or a domain write exceeds 424 bytes
    /// (`ERROR_BAD_NETPATH`).
    case badNetPath(String)
    /// The mailslot does not let this user write to it, or the registry folder or an entry in
    /// it is not safe to use (`ERROR_ACCESS_DENIED`).
    case accessDenied(String)
    /// The operation was abandoned before it could finish: its mailslot closed while a read
    /// waited, its task was cancelled, or its engine thread shut down
    /// (`ERROR_OPERATION_ABORTED`, as a pending overlapped read gets when its handle closes).
    case operationAborted(String)
    /// A system limit (open files, memory, kernel buffers) stopped the operation
    /// (`ERROR_NO_SYSTEM_RESOURCES`).
    case systemLimit(syscall: String, errno: Int32)
    /// Any other operating-system failure (`ERROR_GEN_FAILURE`).
    case system(syscall: String, errno: Int32)

    /// The Win32 error code for this condition.
    public var win32Code: UInt32 {
        switch self {
        case .invalidName(let reason): reason.win32Code
        case .alreadyExists: Win32Error.alreadyExists
        case .fileNotFound: Win32Error.fileNotFound
        case .timeout: Win32Error.semTimeout
        case .insufficientBuffer: Win32Error.insufficientBuffer
        case .messageTooLarge, .invalidParameter: Win32Error.invalidParameter
        case .queueFull: Win32Error.notEnoughQuota
        case .serverGone: Win32Error.brokenPipe
        case .invalidHandle: Win32Error.invalidHandle
        case .busy: Win32Error.busy
        case .badNetPath: Win32Error.badNetPath
        case .accessDenied: Win32Error.accessDenied
        case .operationAborted: Win32Error.operationAborted
        case .systemLimit: Win32Error.noSystemResources
        case .system: Win32Error.genFailure
        }
    }

    /// The Win32 symbolic name of ``win32Code``.
    public var win32Name: String { Win32Error.name(of: win32Code) }

    public var description: String {
        let what: String
        switch self {
        case .invalidName(let reason): what = "invalid name: \(reason)"
        case .alreadyExists(let name): what = "already exists: \(name)"
        case .fileNotFound(let name): what = "file not found: no mailslot \(name)"
        case .timeout: what = "timeout: no message within the read timeout"
        case .insufficientBuffer(let needed, let available):
            what = "insufficient buffer: the next message has \(needed) bytes, the buffer \(available)"
        case .messageTooLarge(let size, let limit):
            what = "message too large: \(size) bytes, the mailslot takes at most \(limit)"
        case .queueFull: what = "queue full: the server cannot take the message now"
        case .serverGone: what = "server gone: the mailslot was closed"
        case .invalidHandle: what = "invalid handle: it was closed"
        case .invalidParameter(let detail): what = "invalid parameter: \(detail)"
        case .busy(let detail): what = "busy: \(detail)"
        case .badNetPath(let detail): what = "bad network path: \(detail)"
        case .accessDenied(let detail): what = "access denied: \(detail)"
        case .operationAborted(let detail): what = "operation aborted: \(detail)"
        case .systemLimit(let call, let errno): what = "system limit: \(call) failed with errno \(errno)"
        case .system(let call, let errno): what = "system error: \(call) failed with errno \(errno)"
        }
        return "\(what) (\(win32Name), Win32 error \(win32Code))"
    }
}

/// Win32 error codes used by the mailslot contract, to compare with
/// ``MailslotError/win32Code``.
public enum Win32Error {
    /// `ERROR_FILE_NOT_FOUND` (2).
    public static let fileNotFound: UInt32 = 2
    /// `ERROR_PATH_NOT_FOUND` (3).
    public static let pathNotFound: UInt32 = 3
    /// `ERROR_ACCESS_DENIED` (5).
    public static let accessDenied: UInt32 = 5
    /// `ERROR_INVALID_HANDLE` (6).
    public static let invalidHandle: UInt32 = 6
    /// `ERROR_GEN_FAILURE` (31).
    public static let genFailure: UInt32 = 31
    /// `ERROR_BAD_NETPATH` (53).
    public static let badNetPath: UInt32 = 53
    /// `ERROR_BUSY` (170).
    public static let busy: UInt32 = 170
    /// `ERROR_INVALID_PARAMETER` (87).
    public static let invalidParameter: UInt32 = 87
    /// `ERROR_BROKEN_PIPE` (109).
    public static let brokenPipe: UInt32 = 109
    /// `ERROR_SEM_TIMEOUT` (121).
    public static let semTimeout: UInt32 = 121
    /// `ERROR_INSUFFICIENT_BUFFER` (122).
    public static let insufficientBuffer: UInt32 = 122
    /// `ERROR_INVALID_NAME` (123).
    public static let invalidName: UInt32 = 123
    /// `ERROR_ALREADY_EXISTS` (183).
    public static let alreadyExists: UInt32 = 183
    /// `ERROR_FILENAME_EXCED_RANGE` (206).
    public static let filenameExceedsRange: UInt32 = 206
    /// `ERROR_OPERATION_ABORTED` (995).
    public static let operationAborted: UInt32 = 995
    /// `ERROR_NO_SYSTEM_RESOURCES` (1450).
    public static let noSystemResources: UInt32 = 1450
    /// `ERROR_NOT_ENOUGH_QUOTA` (1816).
    public static let notEnoughQuota: UInt32 = 1816

    /// The `ERROR_*` spelling of a code.
    public static func name(of code: UInt32) -> String {
        switch code {
        case fileNotFound: "ERROR_FILE_NOT_FOUND"
        case pathNotFound: "ERROR_PATH_NOT_FOUND"
        case accessDenied: "ERROR_ACCESS_DENIED"
        case invalidHandle: "ERROR_INVALID_HANDLE"
        case genFailure: "ERROR_GEN_FAILURE"
        case badNetPath: "ERROR_BAD_NETPATH"
        case busy: "ERROR_BUSY"
        case invalidParameter: "ERROR_INVALID_PARAMETER"
        case brokenPipe: "ERROR_BROKEN_PIPE"
        case semTimeout: "ERROR_SEM_TIMEOUT"
        case insufficientBuffer: "ERROR_INSUFFICIENT_BUFFER"
        case invalidName: "ERROR_INVALID_NAME"
        case alreadyExists: "ERROR_ALREADY_EXISTS"
        case filenameExceedsRange: "ERROR_FILENAME_EXCED_RANGE"
        case operationAborted: "ERROR_OPERATION_ABORTED"
        case noSystemResources: "ERROR_NO_SYSTEM_RESOURCES"
        case notEnoughQuota: "ERROR_NOT_ENOUGH_QUOTA"
        default: "ERROR_\(code)"
        }
    }
}
