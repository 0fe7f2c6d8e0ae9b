import CLibEv
import Glibc

// Files relative to an open folder (the local registry's): every call takes the folder's
// descriptor and a plain file name, never a path another user could swap a component of, and
// never follows a symbolic link.

/// What `fstat(2)` says about an open file, as far as the registry cares.
struct FileStatus: Hashable {
    enum Kind: Hashable { case regular, directory, other }
    var kind: Kind
    var owner: UInt32
    var mode: UInt32
    var size: Int
    var inode: UInt64
}

/// `fstat(2)`.
func system_fstat(_ fd: Int32) throws(SyscallError) -> FileStatus {
    var status = stat()
    _ = try syscallOrThrow("fstat") { fstat(fd, &status) }
    return FileStatus(status)
}

/// `fstatat(2)` of `name` in `folder`, not following a symbolic link.
func system_fileStatus(in folder: Int32, _ name: String) throws(SyscallError) -> FileStatus {
    var status = stat()
    _ = try syscallOrThrow("fstatat") { fstatat(folder, name, &status, AT_SYMLINK_NOFOLLOW) }
    return FileStatus(status)
}

extension FileStatus {
    init(_ status: stat) {
        let type = status.st_mode & S_IFMT
        kind = type == S_IFREG ? .regular : type == S_IFDIR ? .directory : .other
        owner = status.st_uid
        mode = status.st_mode & 0o7777
        size = Int(status.st_size)
        inode = UInt64(status.st_ino)
    }
}

/// Opens a folder by path without following a symbolic link at its last component
/// (`O_DIRECTORY | O_NOFOLLOW`, close-on-exec).
func system_openFolder(_ path: String) throws(SyscallError) -> Int32 {
    try syscallOrThrow("open") { Glibc.open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
}

/// `true` when `path` is a folder (following links, as a path lookup does).
func system_isFolder(_ path: String) -> Bool {
    var status = stat()
    return stat(path, &status) == 0 && status.st_mode & S_IFMT == S_IFDIR
}

/// `mkdir(2)`; `false` when it already exists.
func system_makeFolder(_ path: String, mode: UInt32) throws(SyscallError) -> Bool {
    do {
        _ = try syscallOrThrow("mkdir") { mkdir(path, mode) }
        return true
    } catch where error.errno == EEXIST {
        return false
    }
}

/// `fchmod(2)`.
func system_fchmod(_ fd: Int32, mode: UInt32) throws(SyscallError) {
    _ = try syscallOrThrow("fchmod") { fchmod(fd, mode) }
}

/// `fchown(2)`.
func system_fchown(_ fd: Int32, owner: UInt32, group: UInt32) throws(SyscallError) {
    _ = try syscallOrThrow("fchown") { fchown(fd, owner, group) }
}

/// Opens `name` in `folder` for reading: never through a symbolic link, never blocking on a
/// FIFO (`O_NOFOLLOW | O_NONBLOCK`; the caller checks with ``system_fstat(_:)`` what it got).
func system_openEntry(in folder: Int32, _ name: String) throws(SyscallError) -> Int32 {
    try syscallOrThrow("openat") { openat(folder, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC) }
}

/// Creates `name` in `folder`, new (`O_CREAT | O_EXCL | O_NOFOLLOW`), for writing.
func system_createEntry(in folder: Int32, _ name: String, mode: UInt32) throws(SyscallError) -> Int32 {
    try syscallOrThrow("openat") { openat(folder, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode) }
}

/// `renameat(2)` within one folder (replaces `to` atomically; a link at `to` is replaced, not
/// followed).
func system_rename(in folder: Int32, _ from: String, to: String) throws(SyscallError) {
    _ = try syscallOrThrow("renameat") { renameat(folder, from, folder, to) }
}

/// `linkat(2)` within one folder: fails with EEXIST rather than replace `to`.
func system_link(in folder: Int32, _ from: String, to: String) throws(SyscallError) {
    _ = try syscallOrThrow("linkat") { linkat(folder, from, folder, to, 0) }
}

/// `unlinkat(2)` of a file in `folder`.
func system_unlink(in folder: Int32, _ name: String) throws(SyscallError) {
    _ = try syscallOrThrow("unlinkat") { unlinkat(folder, name, 0) }
}

/// Removes `name` in `folder` and, when it is a folder, everything in it: never through a
/// symbolic link (links are removed, not followed), at most `budget` entries in all and 16
/// folders deep, so a tree another user keeps growing cannot hold the caller.
/// - Returns: `true` when `name` is gone.
func system_removeTree(in folder: Int32, _ name: String, budget: inout Int) -> Bool {
    system_removeTree(in: folder, name, budget: &budget, depth: 16)
}

private func system_removeTree(in folder: Int32, _ name: String, budget: inout Int, depth: Int) -> Bool {
    guard budget > 0 else { return false }
    budget -= 1
    guard let status = try? system_fileStatus(in: folder, name) else { return true }
    guard status.kind == .directory else { return unlinkat(folder, name, 0) == 0 }
    guard depth > 0 else { return false }
    let opened = openat(folder, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
    guard opened >= 0 else { return false }
    let inner = Descriptor(owning: opened)  // closed once, on either return
    for child in system_listFolder(inner.rawValue)
    where !system_removeTree(in: inner.rawValue, child, budget: &budget, depth: depth - 1) {
        return false
    }
    inner.close()
    return unlinkat(folder, name, AT_REMOVEDIR) == 0
}

/// Writes all of `bytes` to `fd` (a new, small file).
func system_writeAll(_ fd: Int32, _ bytes: [UInt8]) throws(SyscallError) {
    var written = 0
    while written < bytes.count {
        let count = try bytes.withUnsafeBytes { buffer in
            Result { () throws(SyscallError) in
                try syscallOrThrow("write") { Glibc.write(fd, buffer.baseAddress! + written, buffer.count - written) }
            }
        }.get()
        written += count
    }
}

/// Reads at most `limit` bytes of an open file; `nil` when it holds more.
func system_readAll(_ fd: Int32, limit: Int) throws(SyscallError) -> [UInt8]? {
    var result = [UInt8](repeating: 0, count: limit + 1)
    var count = 0
    while count <= limit {
        let read = try result.withUnsafeMutableBytes { buffer in
            Result { () throws(SyscallError) in
                try syscallOrThrow("read") { Glibc.read(fd, buffer.baseAddress! + count, buffer.count - count) }
            }
        }.get()
        if read == 0 { break }
        count += read
    }
    guard count <= limit else { return nil }
    return Array(result[0..<count])
}

/// The names in an open folder (without `.` and `..`).
func system_listFolder(_ folder: Int32) -> [String] {
    let copy = dup(folder)
    guard copy >= 0, let directory = fdopendir(copy) else {
        if copy >= 0 { system_close(copy) }
        return []
    }
    defer { closedir(directory) }
    rewinddir(directory)
    return system_readNames(directory)
}

/// This process's effective uid and gid.
func system_effectiveIDs() -> (uid: UInt32, gid: UInt32) { (geteuid(), getegid()) }

/// The uid and inode of the socket at the other end of a connected AF_UNIX socket, from the
/// kernel (`sock_diag`: `UNIX_DIAG_PEER`, then `UNIX_DIAG_UID`); `nil` when the kernel cannot
/// say (no `unix_diag`).
func system_unixPeerIdentity(_ fd: Int32) -> (inode: UInt64, uid: UInt32)? {
    guard let own = try? system_fstat(fd) else { return nil }
    var peer: UInt32 = 0
    var unused: UInt32 = 0
    guard CLibEv_unix_diag(UInt32(truncatingIfNeeded: own.inode), UInt32(CLibEv_UDIAG_SHOW_PEER), &peer, &unused) == 0, peer != 0
    else { return nil }
    var uid = UInt32.max
    guard CLibEv_unix_diag(peer, UInt32(CLibEv_UDIAG_SHOW_UID), &unused, &uid) == 0, uid != UInt32.max else { return nil }
    return (UInt64(peer), uid)
}

/// The inode and owner uid of an AF_UNIX socket of this process, from the kernel
/// (`sock_diag`); `nil` when the kernel cannot say.
func system_unixSocketIdentity(_ fd: Int32) -> (inode: UInt64, uid: UInt32)? {
    guard let own = try? system_fstat(fd) else { return nil }
    var unused: UInt32 = 0
    var uid = UInt32.max
    guard CLibEv_unix_diag(UInt32(truncatingIfNeeded: own.inode), UInt32(CLibEv_UDIAG_SHOW_UID), &unused, &uid) == 0,
        uid != UInt32.max
    else { return nil }
    return (own.inode, uid)
}

/// An integer socket option, or `nil`.
func system_socketOption(_ fd: Int32, level: Int32, name: Int32) -> Int32? {
    var value: Int32 = 0
    var length = socklen_t(MemoryLayout<Int32>.size)
    return getsockopt(fd, level, name, &value, &length) == 0 ? value : nil
}

/// The owner uid of the AF_UNIX socket with this inode, from the kernel (`sock_diag`).
func system_unixSocketOwner(inode: UInt64) -> UInt32? {
    var unused: UInt32 = 0
    var uid = UInt32.max
    guard CLibEv_unix_diag(UInt32(truncatingIfNeeded: inode), UInt32(CLibEv_UDIAG_SHOW_UID), &unused, &uid) == 0,
        uid != UInt32.max
    else { return nil }
    return uid
}

/// The effective uid of a process (the owner of its `/proc/<pid>` folder).
func system_processOwner(_ pid: Int32) -> UInt32? {
    var status = stat()
    return stat("/proc/\(pid)", &status) == 0 ? status.st_uid : nil
}
