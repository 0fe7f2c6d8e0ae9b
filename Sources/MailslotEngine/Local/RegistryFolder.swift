import Glibc

/// Opens the registry folder and makes sure no other user can tamper with it.
///
/// A folder is safe when it is a real folder (not a symbolic link), owned by root or by this
/// user, and either writable by its owner alone or sticky (like `/tmp`: a user may then remove
/// or rename only their own files). Anything else is refused with a reason, except that root
/// takes over a folder another user made or left open (it re-owns it and sets it sticky):
/// files already in it are then judged one by one, as every entry is.
enum RegistryFolder {
    /// The folder's descriptor, or why it cannot be used.
    static func open(_ path: String) -> Result<Int32, RegistryProblem> {
        let created: Bool
        do { created = try system_makeFolder(path, mode: 0o1777) } catch {
            if error.errno != EACCES && error.errno != EROFS && error.errno != ENOENT { return .failure(.unusable(path, error)) }
            created = false
        }
        let fd: Int32
        do { fd = try system_openFolder(path) } catch {
            if error.errno == ELOOP || error.errno == ENOTDIR { return .failure(.notAFolder(path)) }
            return .failure(.unusable(path, error))
        }
        do {
            try makeSafe(fd, path: path, created: created)
            return .success(fd)
        } catch {
            system_close(fd)
            return .failure(error)
        }
    }

    private static func makeSafe(_ fd: Int32, path: String, created: Bool) throws(RegistryProblem) {
        func call<T>(_ body: () throws(SyscallError) -> T) throws(RegistryProblem) -> T {
            do { return try body() } catch { throw .unusable(path, error) }
        }
        let me = system_effectiveIDs().uid
        // mkdir's mode passes through the umask: set it again.
        if created { try call { () throws(SyscallError) in try system_fchmod(fd, mode: 0o1777) } }
        var status = try call { () throws(SyscallError) in try system_fstat(fd) }
        if status.owner != 0, status.owner != me {
            guard me == 0 else { throw .foreignOwner(path, owner: status.owner) }
            try call { () throws(SyscallError) in try system_fchown(fd, owner: 0, group: 0) }
            try call { () throws(SyscallError) in try system_fchmod(fd, mode: 0o1777) }
            status = try call { () throws(SyscallError) in try system_fstat(fd) }
        }
        if status.mode & 0o022 != 0, status.mode & 0o1000 == 0 {
            guard status.owner == me else { throw .openToOthers(path) }
            try call { () throws(SyscallError) in try system_fchmod(fd, mode: status.mode | 0o1000) }
        }
    }
}

/// Why the registry folder cannot be used.
enum RegistryProblem: Error, Hashable, CustomStringConvertible {
    case notAFolder(String)
    case foreignOwner(String, owner: UInt32)
    case openToOthers(String)
    case unusable(String, SyscallError)

    var description: String {
        let fix = "(remove it, or set MAILSLOT_RUNTIME_DIR to a folder of your own)"
        switch self {
        case .notAFolder(let path): return "the registry folder \(path) is a symbolic link or not a folder \(fix)"
        case .foreignOwner(let path, let owner):
            return "the registry folder \(path) belongs to uid \(owner), who could forge or delete entries \(fix)"
        case .openToOthers(let path): return "the registry folder \(path) is writable by others and not sticky \(fix)"
        case .unusable(let path, let error):
            return "the registry folder \(path) cannot be used: \(error) (make it usable, or set MAILSLOT_RUNTIME_DIR to a "
                + "writable folder, the same for every process of the host)"
        }
    }
}
