import Glibc
import MailslotSupport
import MailslotTestSupport
import Synchronization

/// The installed C library the tests compile against, and the C programs they build.
///
/// The prefix is `MAILSLOT_C_PREFIX`, or `.build-clib/prefix` in the package, where the test
/// command installs it (`scripts/install.sh --prebuilt --prefix .build-clib/prefix`). Programs
/// are compiled with `cc` and `pkg-config` exactly as a user would, once per test process.
enum CLibrary {
    /// The package's folder.
    static let packageRoot: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)  // Tests/MailslotCTests/CLibrary.swift
        return parts.joined(separator: "/")
    }()

    /// Where the library is installed.
    static let prefix: String = {
        if let value = getenv("MAILSLOT_C_PREFIX").map({ String(cString: $0) }), !value.isEmpty { return value }
        return packageRoot + "/.build-clib/prefix"
    }()

    /// Why the library cannot be used, or `nil`.
    static let missing: String? = {
        guard access(prefix + "/lib/pkgconfig/mailslot.pc", R_OK) == 0 else {
            return "libmailslot is not installed in \(prefix): run scripts/install.sh --prefix \(prefix) (the test command does)"
        }
        return nil
    }()

    /// The environment programs run with: the library's folder on the loader path, and a
    /// broadcast address for domain names that stays on this machine.
    static func environment(_ extra: [String: String] = [:]) -> [String] {
        var values = ["PKG_CONFIG_PATH": prefix + "/lib/pkgconfig", "LD_LIBRARY_PATH": prefix + "/lib", "MAILSLOT_BROADCAST": "127.255.255.255"]
        for (key, value) in extra { values[key] = value }
        return values.map { "\($0.key)=\($0.value)" }.sorted()
    }

    /// Programs built so far; held while one compiles, so two tests never build (or run) a
    /// half-written executable.
    private static let built = Mutex<[String: String]>([:])
    private static let folder: String = {
        let path = "/tmp/mailslot-ctests-\(getpid())"
        mkdir(path, 0o755)
        return path
    }()

    /// Compiles `Programs/<source>.c` against the installed headers (`pkg-config --cflags
    /// --libs <package>`) with `-Wall -Wextra -Werror`. - Returns: the executable's path.
    static func program(_ source: String, package: String = "mailslot-win32", flags: [String] = []) async throws -> String {
        try await TestThread.await { try programNow(source, package: package, flags: flags) }
    }

    private static func programNow(_ source: String, package: String, flags: [String]) throws -> String {
        let key = ([source, package] + flags).joined(separator: " ")
        return try built.withLock { built throws in
            if let path = built[key] { return path }
            let path = try compile(source, package: package, flags: flags, key: key)
            built[key] = path
            return path
        }
    }

    private static func compile(_ source: String, package: String, flags: [String], key: String) throws -> String {
        if let missing { throw CLibraryError(missing) }
        let output = folder + "/" + source + (flags.isEmpty ? "" : "-" + String(UInt(bitPattern: key.hashValue), radix: 36))
        let command = "cc -std=gnu11 -Wall -Wextra -Werror \(flags.joined(separator: " ")) -o \(output) "
            + "\(packageRoot)/Tests/MailslotCTests/Programs/\(source).c $(pkg-config --cflags --libs \(package)) -lpthread"
        let result = try shellNow(command)
        guard result.code == 0 else { throw CLibraryError("\(command)\n\(result.stdout)\(result.stderr)") }
        return output
    }

    /// Runs `/bin/sh -c command` with ``environment(_:)``, waiting off the test pool.
    static func shell(
        _ command: String, environment extra: [String: String] = [:], timeout: Double = 60
    ) async throws -> (code: Int32?, stdout: String, stderr: String) {
        try await TestThread.await { try shellNow(command, environment: extra, timeout: timeout) }
    }

    /// Waits off the test pool for `body` (a child's exit or output).
    static func waiting<T: Sendable>(_ body: @escaping @Sendable () -> T) async throws -> T {
        try await TestThread.await { body() }
    }

    private static func shellNow(_ command: String, environment extra: [String: String] = [:], timeout: Double = 60) throws -> (code: Int32?, stdout: String, stderr: String) {
        let child = try spawn("/bin/sh", ["-c", command], environment: extra)
        let code = child.waitForExit(timeout: timeout)
        return (code, child.standardOutput, child.standardError)
    }

    /// Starts `executable` with ``environment(_:)`` (through `env`, so the test process's own
    /// environment stays as it is).
    static func spawn(_ executable: String, _ arguments: [String], environment extra: [String: String] = [:]) throws -> ChildProcess {
        try ChildProcess("/usr/bin/env", environment(extra) + [executable] + arguments)
    }
}

/// The C library is missing, or a program did not compile.
struct CLibraryError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A child process is waited on from the thread ``CLibrary/waiting(_:)`` starts; the test
/// touches it again only after that wait has returned.
extension ChildProcess: @unchecked Sendable {}

/// A lab is made and used from waits off the test pool, one at a time.
extension NetworkLab: @unchecked Sendable {}
