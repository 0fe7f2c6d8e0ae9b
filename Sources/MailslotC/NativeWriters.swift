import CMailslotAPI
import MailslotEngine

// The native API's writer side and process settings: msl_writer_*, msl_send*, msl_network_*,
// msl_strerror, msl_version, msl_set_log_handler (see <mailslot/mailslot.h>).

/// `msl_writer_open`.
@_cdecl("msl_writer_open")
public func mslWriterOpen(_ writer: UnsafeMutablePointer<OpaquePointer?>?, _ name: UnsafePointer<CChar>?) -> Int32 {
    writer?.pointee = nil
    return reporting { () throws(MailslotError) in
        guard let writer else { throw .invalidParameter("writer is NULL") }
        guard let name else { throw .invalidName(.empty) }
        let parsed = try parseName(name, shortForm: true)
        writer.pointee = handlePointer(try insertHandle(.writer(try openWriter(parsed))))
    }
}

/// Opens a writer; remote and domain names use the library's network settings.
func openWriter(_ name: MailslotName) throws(MailslotError) -> WriterHandle {
    let network = name.scope == .local ? nil : try LibraryState.networkConfiguration()
    return WriterHandle(client: try MailslotClient(name, network: network))
}

/// `msl_send`: never waits.
@_cdecl("msl_send")
public func mslSend(_ writer: OpaquePointer?, _ buffer: UnsafeRawPointer?, _ length: Int) -> Int32 {
    mslSendTimeout(writer, buffer, length, 0)
}

/// `msl_send_timeout`.
@_cdecl("msl_send_timeout")
public func mslSendTimeout(_ writer: OpaquePointer?, _ buffer: UnsafeRawPointer?, _ length: Int, _ timeoutMilliseconds: Int32) -> Int32 {
    reporting { () throws(MailslotError) in
        guard buffer != nil || length == 0 else { throw .invalidParameter("buf is NULL and len is \(length)") }
        let wait = try writeWait(timeoutMilliseconds)
        try lookupWriter(handleBits(writer)).write(UnsafeRawBufferPointer(start: buffer, count: length), waitingUpTo: wait)
    }
}

/// A C write timeout (`-1`: as long as it takes) as ``MailslotClient`` takes it (`nil`).
private func writeWait(_ milliseconds: Int32) throws(MailslotError) -> Int? {
    let win32 = try win32Timeout(milliseconds)
    return win32 == ReadTimeout.win32Forever ? nil : Int(win32)
}

/// `msl_send_batch`.
@_cdecl("msl_send_batch")
public func mslSendBatch(
    _ writer: OpaquePointer?, _ messages: UnsafePointer<msl_message>?, _ count: Int, _ sent: UnsafeMutablePointer<Int>?,
    _ timeoutMilliseconds: Int32
) -> Int32 {
    sent?.pointee = 0
    return reporting { () throws(MailslotError) in
        guard messages != nil || count == 0 else { throw .invalidParameter("messages is NULL and count is \(count)") }
        let wait = try writeWait(timeoutMilliseconds)
        let handle = try lookupWriter(handleBits(writer))
        let outcome = handle.send(UnsafeBufferPointer(start: messages, count: count), waitingUpTo: wait)
        sent?.pointee = outcome.sent
        if let failure = outcome.failure { throw failure }
    }
}

/// `msl_writer_close`.
@_cdecl("msl_writer_close")
public func mslWriterClose(_ writer: OpaquePointer?) -> Int32 {
    reporting { () throws(MailslotError) in
        let bits = handleBits(writer)
        _ = try lookupWriter(bits)
        guard case .writer? = HandleTable.shared.remove(bits) else { throw .invalidHandle }
    }
}

/// `msl_network_set`.
@_cdecl("msl_network_set")
public func mslNetworkSet(_ key: UnsafePointer<CChar>?, _ value: UnsafePointer<CChar>?) -> Int32 {
    reporting { () throws(MailslotError) in
        guard let key, let value else { throw .invalidParameter("key or value is NULL") }
        try LibraryState.setNetwork(String(cString: key), String(cString: value))
    }
}

/// `msl_network_reset`.
@_cdecl("msl_network_reset")
public func mslNetworkReset() -> Int32 {
    LibraryState.network.withLock { $0 = nil }
    return recordSuccess()
}

/// `msl_strerror`: static strings, one per code.
@_cdecl("msl_strerror")
public func mslStrerror(_ code: Int32) -> UnsafePointer<CChar> {
    ErrorText.text(of: code)
}

/// `msl_version`.
@_cdecl("msl_version")
public func mslVersion() -> UnsafePointer<CChar> {
    ErrorText.version
}

/// `msl_set_log_handler`.
@_cdecl("msl_set_log_handler")
public func mslSetLogHandler(_ handler: msl_log_handler?, _ context: UnsafeMutableRawPointer?, _ minimumLevel: Int32) {
    LogTarget.current.withLock { target in
        target = handler.map { LogTarget(handler: $0, context: context, minimumLevel: minimumLevel) }
    }
}
