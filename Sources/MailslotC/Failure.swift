import CMailslotAPI
import MailslotEngine

// How every C entry point reports: the Win32 code is returned (native API) or stored for
// GetLastError (Win32 API), with the failure in words for msl_error_detail().

/// Records `error` for this thread (`GetLastError`, `msl_error_detail`). - Returns: its code.
@discardableResult
func recordFailure(_ error: MailslotError) -> Int32 {
    let code = error.win32Code
    error.description.withCString { msl__set_failure(code, $0) }
    return Int32(bitPattern: code)
}

/// Records a failure known only by its Win32 code and a short text. - Returns: the code.
@discardableResult
func recordFailure(code: UInt32, _ detail: String) -> Int32 {
    detail.withCString { msl__set_failure(code, $0) }
    return Int32(bitPattern: code)
}

/// Clears this thread's failure detail. - Returns: `MSL_OK`.
func recordSuccess() -> Int32 {
    msl__clear_detail()
    return MSL_OK
}

/// Runs `body`, turning a thrown error into its recorded code. - Returns: `MSL_OK` or the code.
func reporting(_ body: () throws(MailslotError) -> Void) -> Int32 {
    do {
        try body()
        return recordSuccess()
    } catch {
        return recordFailure(error)
    }
}

/// A handle value as the table keys it (any pointer-sized value a C caller passes).
func handleBits(_ pointer: OpaquePointer?) -> UInt { UInt(bitPattern: pointer) }

/// A handle value as C sees it.
func handlePointer(_ bits: UInt) -> OpaquePointer? { OpaquePointer(bitPattern: bits) }

/// The mailslot server behind `handle`. - Throws: `invalidHandle` for anything else.
func lookupServer(_ bits: UInt) throws(MailslotError) -> ConcurrentMailslotServer {
    guard case .server(let server)? = HandleTable.shared.lookup(bits) else { throw .invalidHandle }
    return server
}

/// The writer behind `handle`. - Throws: `invalidHandle` for anything else.
func lookupWriter(_ bits: UInt) throws(MailslotError) -> WriterHandle {
    guard case .writer(let writer)? = HandleTable.shared.lookup(bits) else { throw .invalidHandle }
    return writer
}

/// Adds `object` to the table. - Throws: `systemLimit` when 16 million handles are open.
func insertHandle(_ object: HandleObject) throws(MailslotError) -> UInt {
    guard let bits = HandleTable.shared.insert(object) else { throw .systemLimit(syscall: "handle table", errno: 0) }
    return bits
}

/// A C timeout in milliseconds (`-1`: forever) as Win32 encodes it.
func win32Timeout(_ milliseconds: Int32) throws(MailslotError) -> UInt32 {
    if milliseconds == MSL_WAIT_FOREVER { return ReadTimeout.win32Forever }
    guard milliseconds >= 0 else { throw .invalidParameter("a timeout of \(milliseconds) ms (0 or more, or MSL_WAIT_FOREVER)") }
    return UInt32(milliseconds)
}

/// A Win32 timeout as the native API reports it (`-1`: forever; above `INT32_MAX`: clamped).
func nativeTimeout(_ win32: UInt32) -> Int32 {
    win32 == ReadTimeout.win32Forever ? MSL_WAIT_FOREVER : Int32(clamping: win32)
}

/// Parses a C string as a mailslot name: any full form, and with `shortForm` also `x`.
func parseName(_ text: UnsafePointer<CChar>, shortForm: Bool) throws(MailslotError) -> MailslotName {
    let string = String(cString: text)
    do throws(MailslotNameError) {
        return shortForm ? try MailslotName(shortOrFull: string) : try MailslotName(string)
    } catch {
        throw .invalidName(error)
    }
}
