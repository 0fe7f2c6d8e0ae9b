import MailslotCore

/// One published local mailslot: what its registry file says, and who owns the file.
///
/// The file is small text, one field per line (at most ``maximumBytes``):
///
///     mailslot-registry 2
///     <creator pid>
///     <max message size, 0: any>
///     <name as its creator wrote it>
///     <shared-memory ring bytes, 0: none>
///     <inode of the server socket it describes>
///     <writers: "any" or "uids=… gids=…">
///
/// A writer trusts an entry only when the kernel confirms it: the socket the writer connected
/// to has that inode, and the file's owner is the socket's owner (see
/// ``LocalRegistry/trustedEntry(_:peer:)``).
struct RegistryEntry: Hashable {
    var name: String
    var maxMessageSize: UInt32
    var creatorPID: Int32
    var endpoint: LocalEndpoint
    /// The records' bytes of the shared-memory ring the server offers; `0`: none.
    var sharedMemoryBytes: Int = 0
    /// The inode of the server socket (`fstat` on it after `bind`).
    var socketInode: UInt64 = 0
    /// Who may write.
    var writers: WriterAccess = .anyone
    /// The uid that owns the file (from `fstat`, not from its text); set when read.
    var fileOwner: UInt32 = 0

    /// The most bytes an entry file may hold; a bigger file is not an entry.
    static let maximumBytes = 4096

    /// The file's text.
    var encoded: [UInt8] {
        let lines = [
            "mailslot-registry 2", "\(creatorPID)", "\(maxMessageSize)", name, "\(sharedMemoryBytes)", "\(socketInode)",
            writers.description,
        ]
        return Array((lines.joined(separator: "\n") + "\n").utf8)
    }

    /// Reads an entry file's text; `nil` unless it is exactly the format above.
    static func parse(_ bytes: [UInt8], endpoint: LocalEndpoint, fileOwner: UInt32) -> RegistryEntry? {
        guard bytes.count <= maximumBytes, bytes.last == 0x0A else { return nil }
        let lines = String(decoding: bytes.dropLast(), as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count == 7, lines[0] == "mailslot-registry 2", let pid = Int32(lines[1]), pid > 0,
            let max = UInt32(lines[2]), !lines[3].isEmpty, let sharedMemory = Int(lines[4]), sharedMemory >= 0,
            let inode = UInt64(lines[5]), let writers = WriterAccess(description: String(lines[6]))
        else { return nil }
        return RegistryEntry(
            name: String(lines[3]), maxMessageSize: max, creatorPID: pid, endpoint: endpoint, sharedMemoryBytes: sharedMemory,
            socketInode: inode, writers: writers, fileOwner: fileOwner)
    }
}
