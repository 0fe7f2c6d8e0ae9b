import Glibc
import MailslotCore

// Passing a server handle to another process: by inheritance across exec, or over a Unix socket.
extension MailslotEngine {
    /// Adopts a mailslot server descriptor this process inherited or received, so this engine
    /// reads from it. The mailslot lives until every process closes its handle.
    ///
    /// - Parameter fd: a descriptor from ``MailslotServer/inheritableDescriptor()`` or
    ///   ``receiveMailslot(over:)``. The engine owns it from now on.
    /// - Throws: ``/MailslotCore/MailslotError/invalidHandle`` when `fd` is not an open descriptor, or not a
    ///   mailslot server socket (then it is closed, as the engine owned it).
    public func adoptMailslot(descriptor fd: Int32) throws(MailslotError) -> MailslotServer {
        guard system_isOpenDescriptor(fd) else { throw .invalidHandle }
        // The engine's from here: every refusal below closes it.
        let socket = Descriptor(owning: fd)
        let identity: (type: Int32, address: [UInt8])
        do { identity = try system_socketIdentity(socket.rawValue) } catch {
            throw .invalidHandle
        }
        let prefix = [UInt8(0)] + Array(LocalEndpoint.prefix.utf8)
        guard identity.type == Int32(SOCK_DGRAM.rawValue), identity.address.starts(with: prefix),
            let endpoint = LocalEndpoint(key: String(decoding: identity.address.dropFirst(prefix.count), as: UTF8.self))
        else {
            throw .invalidHandle
        }
        do {
            try system_setNonBlocking(socket.rawValue)
            try system_setCloseOnExec(socket.rawValue, true)
        } catch {
            throw error.mailslotError
        }
        let socketIdentity = system_unixSocketIdentity(socket.rawValue)
        let entry = local.registry.trustedEntry(endpoint, peer: socketIdentity)
        let name = entry.flatMap { try? MailslotName($0.name) } ?? (try? MailslotName(localPath: "unnamed-\(endpoint.key)"))!
        // Without a trusted entry the access list is unknown: a socket that checks writers
        // then admits only its creator and root.
        let checksWriters = system_socketOption(socket.rawValue, level: SOL_SOCKET, name: SO_PASSCRED) == 1
        let writers = entry?.writers ?? (checksWriters ? WriterAccess(uids: [], gids: []) : .anyone)
        let server = register(
            name: name, fd: socket.release(), maxMessageSize: entry?.maxMessageSize ?? 0, readTimeout: .forever, writers: writers,
            creatorUID: entry?.fileOwner ?? socketIdentity?.uid)
        table[server.handle.index]?.handleMayBeHeldElsewhere = true
        return server
    }

    /// Waits for a mailslot server handle sent with ``MailslotServer/send(over:)`` and adopts it.
    /// - Throws: ``/MailslotCore/MailslotError/invalidHandle`` when `socket` is not open or what arrives is
    ///   not a mailslot.
    public func receiveMailslot(over socket: Int32) throws(MailslotError) -> MailslotServer {
        guard system_isOpenDescriptor(socket) else { throw .invalidHandle }
        let fd: Int32
        do { fd = try DescriptorTransfer.receive(over: socket)[0] } catch { throw error.mailslotError }
        return try adoptMailslot(descriptor: fd)
    }
}

extension MailslotServer {
    /// A duplicate of the server descriptor for a child process to inherit and pass to
    /// ``MailslotEngine/adoptMailslot(descriptor:)``. The caller owns it.
    ///
    /// The copy is close-on-exec, so concurrently spawned children cannot inherit it by
    /// accident: map it into the child with `dup2` (for example
    /// `posix_spawn_file_actions_adddup2`), which clears close-on-exec on the child's copy.
    public func inheritableDescriptor() throws(MailslotError) -> Int32 {
        let record = try engine.record(handle)
        record.handleMayBeHeldElsewhere = true
        do { return try system_duplicate(record.fd) } catch { throw error.mailslotError }
    }

    /// Sends a duplicate of this handle over a connected Unix socket (`SCM_RIGHTS`); the receiver
    /// calls ``MailslotEngine/receiveMailslot(over:)``.
    /// - Throws: ``/MailslotCore/MailslotError/invalidHandle`` when `socket` is not an open descriptor.
    public func send(over socket: Int32) throws(MailslotError) {
        let record = try engine.record(handle)
        guard system_isOpenDescriptor(socket) else { throw .invalidHandle }
        record.handleMayBeHeldElsewhere = true
        do { try DescriptorTransfer.send([record.fd], over: socket) } catch { throw error.mailslotError }
    }
}
