import Glibc
import MailslotCore

/// The host's list of local mailslots: one small file per name, beside the kernel's abstract
/// socket that is the mailslot itself.
///
/// The socket decides existence and lifetime (the kernel frees it when its last descriptor
/// closes or its process dies). The file carries what the kernel cannot: the name as written,
/// the maximum message size that writers check, and the creator's pid.
///
/// Publishing is race-free: a creator takes an exclusive `flock` on the entry *before* it binds
/// the socket and keeps it until the entry is written; a writer that connected takes a shared
/// lock before reading, so it never sees a half-written or stale entry. A file left behind by a
/// dead process is harmless: the socket is gone, so nobody can connect, and the next creator
/// overwrites it.
///
/// The folder is `$MAILSLOT_RUNTIME_DIR` when set, else `/dev/shm/mailslot.<netns>` (or
/// `/tmp/...` without `/dev/shm`), one per network namespace because abstract sockets are.
struct LocalRegistry {
    /// The registry folder.
    let directory: String

    /// One published mailslot.
    struct Entry: Hashable {
        var name: String
        var maxMessageSize: UInt32
        var creatorPID: Int32
        var endpoint: LocalEndpoint
        /// The records' bytes of the shared-memory ring the server offers; `0`: none.
        var sharedMemoryBytes: Int = 0
    }

    static func standard() -> LocalRegistry {
        if let custom = getenv("MAILSLOT_RUNTIME_DIR").map({ String(cString: $0) }), !custom.isEmpty {
            system_makeSharedDirectory(custom)
            return LocalRegistry(directory: custom)
        }
        let namespace = system_readlink("/proc/self/ns/net").map { $0.filter(\.isNumber) } ?? "0"
        let base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp"
        let directory = "\(base)/mailslot.\(namespace)"
        system_makeSharedDirectory(directory)
        return LocalRegistry(directory: directory)
    }

    func path(_ endpoint: LocalEndpoint) -> String { directory + "/" + endpoint.key }

    /// Opens the entry file and waits for an exclusive lock on it.
    /// - Returns: the descriptor, or `nil` if the folder is unusable (the mailslot still works;
    ///   writers then cannot check the maximum size and the server counts oversize drops).
    func lockForPublishing(_ endpoint: LocalEndpoint) -> Int32? {
        // The lock-file dance: a remover may unlink the file between our open and our lock, so
        // retry until the locked file is still the one linked at the path.
        for _ in 0..<100 {
            guard let fd = try? system_open(path(endpoint), flags: O_RDWR | O_CREAT, mode: 0o644) else { return nil }
            guard (try? system_flock(fd, exclusive: true)) != nil else {
                system_close(fd)
                return nil
            }
            if system_isLinked(fd) { return fd }
            system_close(fd)
        }
        return nil
    }

    /// Removes the entry of a mailslot that no process holds any more (its address is unbound).
    /// Called when a handle closes and by listings, so stale files do not pile up.
    func removeIfUnbound(_ endpoint: LocalEndpoint) {
        guard let fd = try? system_open(path(endpoint), flags: O_RDWR) else { return }
        defer { system_close(fd) }
        guard (try? system_flock(fd, exclusive: true)) != nil, system_isLinked(fd) else { return }
        if !Self.isBound(endpoint) { system_unlink(path(endpoint)) }
    }

    /// `true` while some process holds a socket bound to the endpoint's address.
    static func isBound(_ endpoint: LocalEndpoint) -> Bool {
        guard let probe = try? system_socket(domain: AF_UNIX, type: Int32(SOCK_DGRAM.rawValue)) else { return true }
        defer { system_close(probe) }
        do {
            try system_connect(probe, endpoint.address)
            return true
        } catch {
            return error.errno != ECONNREFUSED && error.errno != ENOENT
        }
    }

    /// Writes the entry through a descriptor from ``lockForPublishing(_:)``; the caller closes
    /// it, which releases the lock.
    func publish(_ entry: Entry, through fd: Int32) {
        let text = "mailslot-registry 1\n\(entry.creatorPID)\n\(entry.maxMessageSize)\n\(entry.name)\n\(entry.sharedMemoryBytes)\n"
        try? system_rewrite(fd, Array(text.utf8))
    }

    /// Reads the entry for an endpoint, waiting while a creator is still writing it.
    func entry(_ endpoint: LocalEndpoint) -> Entry? {
        guard let fd = try? system_open(path(endpoint), flags: O_RDONLY) else { return nil }
        defer { system_close(fd) }
        guard (try? system_flock(fd, exclusive: false)) != nil, let bytes = try? system_readAll(fd) else { return nil }
        return Self.parse(bytes, endpoint: endpoint)
    }

    /// Every entry on file, live or stale.
    func allEntries() -> [Entry] {
        system_listDirectory(directory).compactMap { file in
            guard let endpoint = LocalEndpoint(key: file) else { return nil }
            return entry(endpoint)
        }
    }

    static func parse(_ bytes: [UInt8], endpoint: LocalEndpoint) -> Entry? {
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count >= 4, lines[0] == "mailslot-registry 1",
            let pid = Int32(lines[1]), let max = UInt32(lines[2])
        else { return nil }
        let sharedMemory = lines.count >= 5 ? Int(lines[4]) ?? 0 : 0
        return Entry(name: String(lines[3]), maxMessageSize: max, creatorPID: pid, endpoint: endpoint, sharedMemoryBytes: sharedMemory)
    }
}
