import Glibc
import MailslotCore

/// One live local mailslot, as `mailslot list` shows it.
public struct LocalMailslotListing: Hashable, Sendable {
    /// The full name, as its creator wrote it.
    public var name: String
    /// The processes that hold a server handle (the creator, or whoever it passed it to).
    public var ownerPIDs: [Int32]
    /// The maximum message size (`0`: any).
    public var maxMessageSize: UInt32
    /// The uid that owns the mailslot's socket (`nil` when it cannot be found out).
    public var ownerUID: UInt32?
    /// Who may write to it.
    public var writers: WriterAccess
}

/// The local mailslots that exist now on this host (in this network namespace).
public enum LocalMailslots {
    /// Lists live mailslots: registry entries whose socket is still bound, with the processes
    /// holding it (found through `/proc/net/unix` and `/proc/<pid>/fd`).
    ///
    /// Entries the kernel does not confirm are left out: one whose socket is gone or is another
    /// socket now (they are removed, where this user may), and one whose file is not owned by
    /// the socket's owner (forged).
    public static func list() -> [LocalMailslotListing] {
        let bound = boundEndpoints()
        let owners = socketOwners(inodes: Set(bound.values))
        let registry = LocalRegistry.standard()
        registry.removeStale(live: bound)
        return registry.allEntries().compactMap { entry in
            guard let inode = bound[entry.endpoint.key], inode == entry.socketInode else { return nil }
            let pids = owners[inode, default: []].sorted()
            let owner = pids.first.flatMap(system_processOwner) ?? system_unixSocketOwner(inode: inode)
            if let owner, owner != entry.fileOwner { return nil }
            return LocalMailslotListing(
                name: entry.name, ownerPIDs: pids, maxMessageSize: entry.maxMessageSize, ownerUID: owner, writers: entry.writers)
        }.sorted { $0.name.lowercased() < $1.name.lowercased() }
    }

    /// Endpoint key → socket inode, for every bound mailslot socket.
    static func boundEndpoints() -> [String: UInt64] {
        guard let table = system_readFile("/proc/net/unix") else { return [:] }
        var result: [String: UInt64] = [:]
        let marker = "@" + LocalEndpoint.prefix
        for line in String(decoding: table, as: UTF8.self).split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 8, fields[7].hasPrefix(marker), let inode = UInt64(fields[6]) else { continue }
            result[String(fields[7].dropFirst(marker.count))] = inode
        }
        return result
    }

    /// Socket inode → pids holding it.
    static func socketOwners(inodes: Set<UInt64>) -> [UInt64: [Int32]] {
        var owners: [UInt64: [Int32]] = [:]
        guard !inodes.isEmpty else { return owners }
        for process in system_listDirectory("/proc") {
            guard let pid = Int32(process) else { continue }
            let folder = "/proc/\(process)/fd"
            for fd in system_listDirectory(folder) {
                guard let target = system_readlink(folder + "/" + fd), target.hasPrefix("socket:["),
                    let inode = UInt64(target.dropFirst(8).dropLast()), inodes.contains(inode)
                else { continue }
                if !(owners[inode]?.contains(pid) ?? false) { owners[inode, default: []].append(pid) }
            }
        }
        return owners
    }
}
