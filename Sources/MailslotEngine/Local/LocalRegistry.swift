import Glibc
import MailslotCore

/// The host's list of local mailslots: one small file per name, beside the kernel's abstract
/// socket that is the mailslot itself.
///
/// The socket decides existence and lifetime (the kernel frees it when its last descriptor
/// closes or its process dies). The file carries what the kernel cannot: the name as written,
/// the maximum message size that writers check, who may write, and the socket's inode, which
/// ties the file to the one socket it describes.
///
/// Safe against other local users (docs/security.md):
/// - the folder is checked on every use (``RegistryFolder``), and files are reached only
///   relative to it, never through a symbolic link, never blocking on a FIFO;
/// - a creator binds its socket first, then writes its entry to a new file and renames it over
///   the name, so nobody ever sees half an entry, and no lock exists that another user could
///   hold;
/// - a reader believes an entry only when the kernel vouches for it (``trustedEntry(_:peer:)``).
///
/// The folder is `$MAILSLOT_RUNTIME_DIR` when set, else `/dev/shm/mailslot.<netns>` (or
/// `/tmp/...` without `/dev/shm`), one per network namespace because abstract sockets are.
final class LocalRegistry {
    /// The registry folder.
    let directory: String
    /// The open folder's descriptor, for calls (`nil` when it cannot be used)…
    private let folder: Int32?
    /// …and its owner, which closes it, once, with the registry.
    private let folderOwner: Descriptor?
    /// Why the folder cannot be used.
    private let openProblem: RegistryProblem?

    init(directory: String) {
        self.directory = directory
        switch RegistryFolder.open(directory) {
        case .success(let fd):
            folder = fd
            folderOwner = Descriptor(owning: fd)
            openProblem = nil
        case .failure(let problem):
            folder = nil
            folderOwner = nil
            openProblem = problem
        }
    }

    static func standard() -> LocalRegistry {
        if let custom = getenv("MAILSLOT_RUNTIME_DIR").map({ String(cString: $0) }), !custom.isEmpty {
            return LocalRegistry(directory: custom)
        }
        let namespace = system_readlink("/proc/self/ns/net").map { $0.filter(\.isNumber) } ?? "0"
        // Chosen by what exists, never by what this process may write: every process of the
        // host must agree on the folder. A read-only /dev/shm makes creating fail with the
        // reason (set MAILSLOT_RUNTIME_DIR), not move mailslots somewhere writers do not look.
        let base = system_isFolder("/dev/shm") ? "/dev/shm" : "/tmp"
        return LocalRegistry(directory: "\(base)/mailslot.\(namespace)")
    }

    /// Why the folder cannot be used, or `nil`.
    var problem: RegistryProblem? { openProblem }

    /// Publishes an entry for a socket this process has just bound (so any file already at the
    /// name is stale, or planted). Returns the new file's inode, for ``withdraw(_:inode:)``.
    /// - Throws: ``/MailslotCore/MailslotError/accessDenied(_:)`` when the folder is unsafe, or a file that
    ///   this user may not replace holds the name.
    func publish(_ entry: RegistryEntry) throws(MailslotError) -> UInt64 {
        guard let folder else { throw .accessDenied(openProblem?.description ?? "\(directory) cannot be used") }
        let key = entry.endpoint.key
        for _ in 0..<8 {
            let temporary = ".new.\(key).\(system_getpid()).\(UInt32.random(in: 0...UInt32.max))"
            let file: Descriptor
            do { file = Descriptor(owning: try system_createEntry(in: folder, temporary, mode: 0o644)) } catch {
                if error.errno == EEXIST { continue }  // someone planted that name: pick another
                if error.errno == EROFS || error.errno == EACCES || error.errno == EPERM {
                    throw .accessDenied(
                        "cannot write in the registry folder \(directory): \(error) (make it writable, or set "
                            + "MAILSLOT_RUNTIME_DIR to a writable folder, the same for every process of the host)")
                }
                throw error.mailslotError
            }
            let inode: UInt64
            do {
                try system_fchmod(file.rawValue, mode: 0o644)  // readable by every writer, whatever the umask
                try system_writeAll(file.rawValue, entry.encoded)
                inode = try system_fstat(file.rawValue).inode
            } catch {
                try? system_unlink(in: folder, temporary)
                throw error.mailslotError  // `file` closes as it goes out of scope: once
            }
            file.close()
            do {
                try system_rename(in: folder, temporary, to: key)
            } catch {
                try? system_unlink(in: folder, temporary)
                if error.errno == EISDIR || error.errno == ENOTEMPTY || error.errno == EEXIST {
                    // A folder planted at the name: a rename cannot replace it, so it moves
                    // aside (where this user may move it) and the publish tries again.
                    try moveFolderAside(key, in: folder)
                    continue
                }
                if error.errno == EPERM || error.errno == EACCES || error.errno == EBUSY {
                    throw inTheWay(key, in: folder)
                }
                throw error.mailslotError
            }
            return inode
        }
        throw .accessDenied("\(directory): no unused name for a new entry file")
    }

    /// Moves a folder found at an entry's name aside and removes it (bounded; what is left
    /// stays hidden under `.old.` until a stale-entry sweep). Root may always; another user
    /// only a folder of their own.
    /// - Throws: ``/MailslotCore/MailslotError/accessDenied(_:)`` saying who can remove it.
    private func moveFolderAside(_ key: String, in folder: Int32) throws(MailslotError) {
        let aside = ".old.\(key).\(system_getpid()).\(UInt32.random(in: 0...UInt32.max))"
        do { try system_rename(in: folder, key, to: aside) } catch { throw inTheWay(key, in: folder) }
        removeTree(aside, in: folder)
    }

    /// The most files one removal of a planted folder deletes.
    static let removalBudget = 10_000

    /// Removes `name` (a file, or a folder and what it holds) within ``removalBudget``.
    private func removeTree(_ name: String, in folder: Int32) {
        var budget = Self.removalBudget
        _ = system_removeTree(in: folder, name, budget: &budget)
    }

    /// Why a planted file or folder at an entry's name stops a create, and what to run.
    private func inTheWay(_ key: String, in folder: Int32) -> MailslotError {
        let status = try? system_fileStatus(in: folder, key)
        let what = status?.kind == .directory ? "a folder" : "a file"
        let owner = status.map { " owned by uid \($0.owner)" } ?? ""
        return .accessDenied(
            "\(directory)/\(key) is \(what)\(owner) in the way, and this user may not replace it: root's "
                + "`mailslot serve` or `mailslot list` replaces or removes it, or its owner can (rm -r '\(directory)/\(key)')")
    }

    /// Removes the entry this process published (file `inode`), unless it was replaced.
    /// - Returns: why the entry could not be removed (it stays until the name's next server or
    ///   a stale-entry sweep removes it), or `nil`.
    @discardableResult
    func withdraw(_ endpoint: LocalEndpoint, inode: UInt64) -> SyscallError? {
        guard let folder, let status = try? system_fileStatus(in: folder, endpoint.key), status.inode == inode
        else { return nil }
        do { try system_unlink(in: folder, endpoint.key) } catch { return error }
        return nil
    }

    /// Reads the entry file for an endpoint as it is (trusted or not); `nil` when there is no
    /// regular file of the right form.
    func entry(_ endpoint: LocalEndpoint) -> RegistryEntry? {
        guard let folder, let opened = try? system_openEntry(in: folder, endpoint.key) else { return nil }
        let file = Descriptor(owning: opened)  // closed once, on every return below
        guard let status = try? system_fstat(file.rawValue), status.kind == .regular, status.size <= RegistryEntry.maximumBytes,
            let bytes = (try? system_readAll(file.rawValue, limit: RegistryEntry.maximumBytes)) ?? nil
        else { return nil }
        return RegistryEntry.parse(bytes, endpoint: endpoint, fileOwner: status.owner)
    }

    /// The entry for the socket a writer connected to, if the kernel vouches for it: the
    /// socket (`peer`, from ``system_unixPeerIdentity(_:)``) has the inode the entry names and
    /// belongs to the uid that owns the file. Without the kernel's word (`peer` is `nil`), only
    /// files of root or of this user are believed. An entry that does not match yet is waited
    /// for briefly (its creator binds, then publishes).
    func trustedEntry(_ endpoint: LocalEndpoint, peer: (inode: UInt64, uid: UInt32)?) -> RegistryEntry? {
        let deadline = system_monotonicSeconds() + 0.2
        while true {
            let entry = entry(endpoint)
            guard let peer else {
                // Without the kernel's word, waiting cannot make an entry more believable.
                guard let entry, entry.fileOwner == 0 || entry.fileOwner == system_effectiveIDs().uid else { return nil }
                return entry
            }
            if let entry, entry.socketInode == peer.inode {
                return entry.fileOwner == peer.uid ? entry : nil
            }
            // Missing, or naming another socket: its creator may be between bind and publish.
            guard problem == nil, system_monotonicSeconds() < deadline else { return nil }
            usleep(2000)
        }
    }

    /// Every entry on file, live or stale, trusted or not.
    func allEntries() -> [RegistryEntry] {
        guard let folder else { return [] }
        return system_listFolder(folder).compactMap { file in LocalEndpoint(key: file).flatMap { entry($0) } }
    }

    /// Removes what dead creators left: entries whose socket is not bound (or is another
    /// socket now: `live` maps each bound key to its socket inode) and unfinished new files of
    /// dead processes. Only files this user may remove are touched (all of them for root).
    func removeStale(live: [String: UInt64]) {
        guard let folder else { return }
        let me = system_effectiveIDs().uid
        for file in system_listFolder(folder) {
            guard let status = try? system_fileStatus(in: folder, file), me == 0 || status.owner == me else { continue }
            if let endpoint = LocalEndpoint(key: file) {
                // Judged after its status was taken: an entry a new server published since the
                // live list was read names a socket the kernel still knows.
                let named = entry(endpoint)?.socketInode
                if let named, live[file] == named || system_unixSocketOwner(inode: named) != nil { continue }
                removeAside(file, examined: status.inode, in: folder)
            } else if file.hasPrefix(".new.") || file.hasPrefix(".old."), let pid = Self.pid(inFileName: file),
                kill(pid, 0) != 0, errno == ESRCH
            {
                removeTree(file, in: folder)
            }
        }
    }

    /// Moves a stale file aside before deleting it, so an entry published in between (a new
    /// server of the name) is never lost: if what moved is not the file examined, it goes back.
    private func removeAside(_ file: String, examined inode: UInt64, in folder: Int32) {
        let aside = ".old.\(file).\(system_getpid()).\(UInt32.random(in: 0...UInt32.max))"
        guard (try? system_rename(in: folder, file, to: aside)) != nil else { return }
        if let moved = try? system_fileStatus(in: folder, aside), moved.inode != inode {
            try? system_link(in: folder, aside, to: file)  // EEXIST: a newer one is there already
        }
        removeTree(aside, in: folder)  // a planted folder, too
    }

    /// The pid in `.new.<key>.<pid>.<random>` or `.old.<key>.<pid>.<random>`.
    static func pid(inFileName file: String) -> Int32? {
        let parts = file.split(separator: ".")
        guard parts.count >= 4 else { return nil }
        return Int32(parts[parts.count - 2]).flatMap { $0 > 0 ? $0 : nil }
    }
}
