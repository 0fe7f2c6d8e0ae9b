import CMailslotAPI
import Glibc
import MailslotEngine

/// The C library's static strings: `msl_strerror`'s texts and `msl_version`.
///
/// Each text is made once and kept for the life of the process, so the pointers handed to C
/// stay valid.
enum ErrorText {
    /// The library's version: `MSL_VERSION_STRING` in `<mailslot/mailslot.h>`.
    static let versionString = MSL_VERSION_STRING

    /// ``versionString`` as a C string.
    nonisolated(unsafe) static let version = UnsafePointer(strdup(versionString)!)

    private static let known: [Int32: String] = [
        0: "ERROR_SUCCESS: the operation completed",
        2: "ERROR_FILE_NOT_FOUND: no mailslot has that name",
        3: "ERROR_PATH_NOT_FOUND: no name was given",
        5: "ERROR_ACCESS_DENIED: not allowed, or the wrong kind of handle for the call",
        6: "ERROR_INVALID_HANDLE: the handle is closed, stale or unknown",
        8: "ERROR_NOT_ENOUGH_MEMORY: out of memory",
        31: "ERROR_GEN_FAILURE: a system call failed unexpectedly",
        50: "ERROR_NOT_SUPPORTED: not supported",
        53: "ERROR_BAD_NETPATH: the computer or domain cannot be reached by that name, or the message is too long for it",
        87: "ERROR_INVALID_PARAMETER: an argument is invalid, or the message is larger than the mailslot takes",
        109: "ERROR_BROKEN_PIPE: the mailslot's reader closed it or exited",
        121: "ERROR_SEM_TIMEOUT: no message came within the timeout",
        122: "ERROR_INSUFFICIENT_BUFFER: the message is larger than the buffer; it stays queued",
        123: "ERROR_INVALID_NAME: not a valid mailslot name",
        170: "ERROR_BUSY: the mailslot is being read elsewhere",
        183: "ERROR_ALREADY_EXISTS: a live mailslot has that name",
        206: "ERROR_FILENAME_EXCED_RANGE: the name is too long",
        995: "ERROR_OPERATION_ABORTED: the handle was closed during the call",
        1450: "ERROR_NO_SYSTEM_RESOURCES: out of descriptors, memory or handles",
        1816: "ERROR_NOT_ENOUGH_QUOTA: the reader's queue is full now",
    ]

    nonisolated(unsafe) private static let texts: [Int32: UnsafePointer<CChar>] = known.mapValues { UnsafePointer(strdup($0)!) }
    nonisolated(unsafe) private static let unknown = UnsafePointer(strdup("unknown error code")!)

    /// The text of `code`; never `NULL`.
    static func text(of code: Int32) -> UnsafePointer<CChar> { texts[code] ?? unknown }
}
