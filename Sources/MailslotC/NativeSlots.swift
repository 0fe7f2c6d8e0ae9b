import CMailslotAPI
import MailslotEngine

// The native API's reader side: msl_slot_* and msl_recv (see <mailslot/mailslot.h>).

/// `msl_slot_options_init`.
@_cdecl("msl_slot_options_init")
public func mslSlotOptionsInit(_ options: UnsafeMutablePointer<msl_slot_options>?) {
    options?.pointee = msl_slot_options(
        max_msg_size: 0, read_timeout_ms: MSL_WAIT_FOREVER, shared_memory_bytes: 0, writer_uids: nil, writer_uid_count: 0,
        writer_gids: nil, writer_gid_count: 0)
}

/// `msl_slot_create`.
@_cdecl("msl_slot_create")
public func mslSlotCreate(
    _ slot: UnsafeMutablePointer<OpaquePointer?>?, _ name: UnsafePointer<CChar>?, _ options: UnsafePointer<msl_slot_options>?
) -> Int32 {
    slot?.pointee = nil
    return reporting { () throws(MailslotError) in
        guard let slot else { throw .invalidParameter("slot is NULL") }
        guard let name else { throw .invalidName(.empty) }
        var settings = msl_slot_options()
        mslSlotOptionsInit(&settings)
        if let options { settings = options.pointee }
        let parsed = try parseName(name, shortForm: true)
        let server = try makeServer(
            parsed, maxMessageSize: settings.max_msg_size, readTimeout: try win32Timeout(settings.read_timeout_ms),
            sharedMemoryBytes: settings.shared_memory_bytes, writers: try writerAccess(settings))
        slot.pointee = handlePointer(try insertHandle(.server(server)))
    }
}

/// Makes a server on its own engine, with the library's configuration.
func makeServer(
    _ name: MailslotName, maxMessageSize: UInt32, readTimeout: UInt32, sharedMemoryBytes: Int = 0, writers: WriterAccess? = nil
) throws(MailslotError) -> ConcurrentMailslotServer {
    try ConcurrentMailslotServer(
        name: name, maxMessageSize: maxMessageSize, readTimeout: readTimeout, sharedMemoryBytes: sharedMemoryBytes, writers: writers,
        configuration: LibraryState.engineConfiguration())
}

/// The writer access list of `options` (`nil`: anyone).
private func writerAccess(_ options: msl_slot_options) throws(MailslotError) -> WriterAccess? {
    guard options.writer_uid_count > 0 || options.writer_gid_count > 0 else { return nil }
    guard options.writer_uid_count == 0 || options.writer_uids != nil, options.writer_gid_count == 0 || options.writer_gids != nil
    else { throw .invalidParameter("a writer list count without its array") }
    let uids = options.writer_uid_count == 0 ? [] : Array(UnsafeBufferPointer(start: options.writer_uids, count: options.writer_uid_count))
    let gids = options.writer_gid_count == 0 ? [] : Array(UnsafeBufferPointer(start: options.writer_gids, count: options.writer_gid_count))
    return WriterAccess(uids: uids, gids: gids)
}

/// `msl_recv`.
@_cdecl("msl_recv")
public func mslRecv(_ slot: OpaquePointer?, _ buffer: UnsafeMutableRawPointer?, _ length: UnsafeMutablePointer<Int>?) -> Int32 {
    receive(slot, buffer, length, timeout: nil)
}

/// `msl_recv_timeout`.
@_cdecl("msl_recv_timeout")
public func mslRecvTimeout(
    _ slot: OpaquePointer?, _ buffer: UnsafeMutableRawPointer?, _ length: UnsafeMutablePointer<Int>?, _ timeoutMilliseconds: Int32
) -> Int32 {
    receive(slot, buffer, length, timeout: timeoutMilliseconds)
}

private func receive(_ slot: OpaquePointer?, _ buffer: UnsafeMutableRawPointer?, _ length: UnsafeMutablePointer<Int>?, timeout: Int32?) -> Int32 {
    reporting { () throws(MailslotError) in
        guard let length else { throw .invalidParameter("len is NULL") }
        guard buffer != nil || length.pointee == 0 else { throw .invalidParameter("buf is NULL and *len is \(length.pointee)") }
        let server = try lookupServer(handleBits(slot))
        let wait = try timeout.map { (value) throws(MailslotError) in try win32Timeout(value) }
        do throws(MailslotError) {
            length.pointee = try server.read(into: UnsafeMutableRawBufferPointer(start: buffer, count: length.pointee), timeoutMilliseconds: wait)
        } catch {
            if case .insufficientBuffer(let needed, _) = error { length.pointee = needed }
            throw error
        }
    }
}

/// `msl_slot_info`.
@_cdecl("msl_slot_info")
public func mslSlotInfo(_ slot: OpaquePointer?, _ info: UnsafeMutablePointer<msl_slot_info>?) -> Int32 {
    reporting { () throws(MailslotError) in
        guard let info else { throw .invalidParameter("info is NULL") }
        let current = try lookupServer(handleBits(slot)).info()
        info.pointee = msl_slot_info(
            max_msg_size: current.maxMessageSize, next_size: current.nextMessageSize ?? Int(bitPattern: UInt.max),
            msg_count: current.messageCount, read_timeout_ms: nativeTimeout(current.readTimeout.win32Value))
    }
}

/// `msl_slot_set_timeout`.
@_cdecl("msl_slot_set_timeout")
public func mslSlotSetTimeout(_ slot: OpaquePointer?, _ timeoutMilliseconds: Int32) -> Int32 {
    reporting { () throws(MailslotError) in
        try lookupServer(handleBits(slot)).setReadTimeout(try win32Timeout(timeoutMilliseconds))
    }
}

/// `msl_slot_fd`.
@_cdecl("msl_slot_fd")
public func mslSlotFD(_ slot: OpaquePointer?, _ fd: UnsafeMutablePointer<Int32>?) -> Int32 {
    reporting { () throws(MailslotError) in
        guard let fd else { throw .invalidParameter("fd is NULL") }
        let server = try lookupServer(handleBits(slot))
        guard server.isInCreatingProcess else { throw .invalidHandle }
        fd.pointee = try server.descriptor()
    }
}

/// `msl_slot_close`.
@_cdecl("msl_slot_close")
public func mslSlotClose(_ slot: OpaquePointer?) -> Int32 {
    reporting { () throws(MailslotError) in
        let bits = handleBits(slot)
        _ = try lookupServer(bits)
        guard case .server(let server)? = HandleTable.shared.remove(bits) else { throw .invalidHandle }
        server.close()
    }
}
