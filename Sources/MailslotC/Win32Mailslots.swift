import CMailslotAPI
import MailslotEngine

// The Win32 mailslot functions (see <mailslot/win32.h> and docs/win32-mapping.md). Each
// failure stores its code for GetLastError() and returns what Win32 returns: FALSE, or
// INVALID_HANDLE_VALUE.

/// `INVALID_HANDLE_VALUE`.
var invalidHandleValue: UnsafeMutableRawPointer? { UnsafeMutableRawPointer(bitPattern: UInt.max) }

/// A HANDLE's value as the table keys it.
func handleBits(_ handle: UnsafeMutableRawPointer?) -> UInt { UInt(bitPattern: handle) }

/// Runs `body`, returning `TRUE`, or records its error and returns `FALSE`.
func win32Bool(_ body: () throws(MailslotError) -> Void) -> Int32 {
    do {
        try body()
        msl__clear_detail()
        return 1
    } catch {
        recordFailure(error)
        return 0
    }
}

/// Runs `body`, returning its handle with last error 0, or records its error and returns
/// `INVALID_HANDLE_VALUE`.
func win32Handle(_ body: () throws(MailslotError) -> UInt) -> UnsafeMutableRawPointer? {
    do {
        let bits = try body()
        msl__set_failure(0, nil)
        return UnsafeMutableRawPointer(bitPattern: bits)
    } catch {
        recordFailure(error)
        return invalidHandleValue
    }
}

/// `CreateMailslotA`: the security attributes are accepted and ignored (the writer access
/// list is the native API's option).
@_cdecl("CreateMailslotA")
public func createMailslotA(
    _ name: UnsafePointer<CChar>?, _ maxMessageSize: UInt32, _ readTimeout: UInt32, _ security: UnsafeMutableRawPointer?
) -> UnsafeMutableRawPointer? {
    win32Handle { () throws(MailslotError) in
        guard let name else { throw .invalidName(.empty) }
        let parsed = try parseName(name, shortForm: false)
        return try insertHandle(.server(try makeServer(parsed, maxMessageSize: maxMessageSize, readTimeout: readTimeout)))
    }
}

/// `GetMailslotInfo`: every out pointer may be NULL.
@_cdecl("GetMailslotInfo")
public func getMailslotInfo(
    _ mailslot: UnsafeMutableRawPointer?, _ maxMessageSize: UnsafeMutablePointer<UInt32>?, _ nextSize: UnsafeMutablePointer<UInt32>?,
    _ messageCount: UnsafeMutablePointer<UInt32>?, _ readTimeout: UnsafeMutablePointer<UInt32>?
) -> Int32 {
    win32Bool { () throws(MailslotError) in
        let info = try lookupServer(handleBits(mailslot)).info()
        maxMessageSize?.pointee = info.maxMessageSize
        nextSize?.pointee = info.win32NextSize
        messageCount?.pointee = UInt32(clamping: info.messageCount)
        readTimeout?.pointee = info.readTimeout.win32Value
    }
}

/// `SetMailslotInfo`.
@_cdecl("SetMailslotInfo")
public func setMailslotInfo(_ mailslot: UnsafeMutableRawPointer?, _ readTimeout: UInt32) -> Int32 {
    win32Bool { () throws(MailslotError) in try lookupServer(handleBits(mailslot)).setReadTimeout(readTimeout) }
}

/// `CreateFileA`, for mailslot names only. Share modes and the disposition are accepted and
/// not enforced (Windows Vista and later do not enforce share modes between mailslot writers).
@_cdecl("CreateFileA")
public func createFileA(
    _ name: UnsafePointer<CChar>?, _ access: UInt32, _ shareMode: UInt32, _ security: UnsafeMutableRawPointer?, _ disposition: UInt32,
    _ flags: UInt32, _ template: UnsafeMutableRawPointer?
) -> UnsafeMutableRawPointer? {
    win32Handle { () throws(MailslotError) in
        guard let name else { throw .invalidName(.empty) }
        let text = String(cString: name)
        let parsed: MailslotName
        do throws(MailslotNameError) { parsed = try MailslotName(text) } catch {
            // Only mailslots exist here: any other path is a file this library does not have.
            if !text.hasPrefix("\\\\") { throw .fileNotFound("\(text) (only mailslot names open here)") }
            throw .invalidName(error)
        }
        return try insertHandle(.writer(try openWriter(parsed)))
    }
}

/// `ReadFile`: one whole message from a server handle. `*lpNumberOfBytesRead` is 0 first.
@_cdecl("ReadFile")
public func readFile(
    _ file: UnsafeMutableRawPointer?, _ buffer: UnsafeMutableRawPointer?, _ count: UInt32, _ bytesRead: UnsafeMutablePointer<UInt32>?,
    _ overlapped: UnsafeMutablePointer<OVERLAPPED>?
) -> Int32 {
    bytesRead?.pointee = 0
    var transferred = 0
    let result = win32Bool { () throws(MailslotError) in
        guard buffer != nil || count == 0 else { throw .invalidParameter("lpBuffer is NULL") }
        switch HandleTable.shared.lookup(handleBits(file)) {
        case .server(let server)?:
            transferred = try server.read(into: UnsafeMutableRawBufferPointer(start: buffer, count: Int(count)))
        case .writer?:
            throw .accessDenied("a mailslot client handle cannot read")
        case .event?, nil:
            throw .invalidHandle
        }
    }
    bytesRead?.pointee = UInt32(transferred)
    complete(overlapped, succeeded: result != 0, bytes: transferred)
    return result
}

/// `WriteFile`: one message through a client handle (`nNumberOfBytesToWrite` may be 0).
@_cdecl("WriteFile")
public func writeFile(
    _ file: UnsafeMutableRawPointer?, _ buffer: UnsafeRawPointer?, _ count: UInt32, _ bytesWritten: UnsafeMutablePointer<UInt32>?,
    _ overlapped: UnsafeMutablePointer<OVERLAPPED>?
) -> Int32 {
    bytesWritten?.pointee = 0
    let result = win32Bool { () throws(MailslotError) in
        guard buffer != nil || count == 0 else { throw .invalidParameter("lpBuffer is NULL") }
        switch HandleTable.shared.lookup(handleBits(file)) {
        case .writer(let writer)?:
            try writer.write(UnsafeRawBufferPointer(start: buffer, count: Int(count)), waitingUpTo: queueGrace)
        case .server?:
            throw .accessDenied("a mailslot server handle cannot write")
        case .event?, nil:
            throw .invalidHandle
        }
    }
    if result != 0 { bytesWritten?.pointee = count }
    complete(overlapped, succeeded: result != 0, bytes: result != 0 ? Int(count) : 0)
    return result
}

/// How long `WriteFile` waits for a local reader's kernel queue to move into its ring before
/// `ERROR_NOT_ENOUGH_QUOTA`. Windows queues a mailslot's messages in kernel memory up to the
/// reader's quota; here the kernel holds only `net.unix.max_dgram_qlen` (10) datagrams until
/// the reader's process takes them into its ring (at once, on its drain thread). A burst of
/// writes then meets a full kernel queue for a moment, not a full mailslot.
let queueGrace = 50

/// Fills in an `OVERLAPPED` of a call that completed at once, and sets its event on success.
private func complete(_ overlapped: UnsafeMutablePointer<OVERLAPPED>?, succeeded: Bool, bytes: Int) {
    guard let overlapped else { return }
    overlapped.pointee.Internal = succeeded ? 0 : UInt(GetLastError())
    overlapped.pointee.InternalHigh = UInt(bytes)
    if succeeded, case .event(let event)? = HandleTable.shared.lookup(handleBits(overlapped.pointee.hEvent)) { event.set() }
}

/// `CloseHandle`: any handle of this library. Closing a server deletes the mailslot and its
/// unread messages; the name is free at once.
@_cdecl("CloseHandle")
public func closeHandle(_ object: UnsafeMutableRawPointer?) -> Int32 {
    win32Bool { () throws(MailslotError) in
        guard let removed = HandleTable.shared.remove(handleBits(object)) else { throw .invalidHandle }
        if case .server(let server) = removed { server.close() }
    }
}
