import ArgumentParser
import Glibc

/// Users and groups as the command line names them: a number, or a name from the system's
/// user and group databases.
enum UserID {
    /// A uid from `1000` or `alice`.
    static func uid(_ text: String) throws -> UInt32 {
        if let number = UInt32(text) { return number }
        guard let entry = getpwnam(text) else { throw ValidationError("no user named '\(text)'") }
        return entry.pointee.pw_uid
    }

    /// A gid from `27` or `staff`.
    static func gid(_ text: String) throws -> UInt32 {
        if let number = UInt32(text) { return number }
        guard let entry = getgrnam(text) else { throw ValidationError("no group named '\(text)'") }
        return entry.pointee.gr_gid
    }
}
