import Glibc

/// Starts processes with `posix_spawn(3)`: the one spawner behind the load tester's
/// `Subprocess`, the benchmark's writer processes and the tests' `ChildProcess`.
///
/// Internal to this package's tools, tests and benchmarks; not a stable API.
public enum ProcessSpawner {
    /// What the child's descriptors are, set up before it runs.
    public enum FileAction: Sendable {
        /// Descriptor `from` of the parent becomes `to` in the child (`dup2`).
        case duplicate(Int32, to: Int32)
        /// `path` is opened as descriptor `to` in the child, with `flags` (and mode 0600 when
        /// it is created).
        case open(String, to: Int32, flags: Int32)
    }

    /// Starts `executable` (a path) with `arguments` and this process's environment.
    /// - Parameter resetSignals: the child starts with no blocked signal and every signal's
    ///   default action, whatever this process's threads had (test runners block some).
    /// - Returns: the child's pid.
    /// - Throws: the `errno` of `posix_spawn` when the process cannot start.
    public static func spawn(
        _ executable: String, _ arguments: [String], actions fileActions: [FileAction] = [], resetSignals: Bool = false
    ) throws(SpawnFailure) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for action in fileActions {
            switch action {
            case .duplicate(let from, let to): posix_spawn_file_actions_adddup2(&actions, from, to)
            case .open(let path, let to, let flags): posix_spawn_file_actions_addopen(&actions, to, path, flags, 0o600)
            }
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        if resetSignals {
            var empty = sigset_t()
            sigemptyset(&empty)
            var all = sigset_t()
            sigfillset(&all)
            posix_spawnattr_setsigmask(&attributes, &empty)
            posix_spawnattr_setsigdefault(&attributes, &all)
            posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var child = pid_t()
        let status = posix_spawn(&child, executable, &actions, &attributes, argv, environ)
        guard status == 0 else { throw SpawnFailure(executable: executable, errno: status) }
        return child
    }

    /// The exit code a `waitpid` status means: the code, or 128 + the signal that ended it.
    public static func exitCode(ofWaitStatus status: Int32) -> Int32 {
        status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
    }

    /// This program's own path (`/proc/self/exe`), for starting copies of it.
    public static var currentExecutable: String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        return count > 0 ? String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self) : CommandLine.arguments[0]
    }
}

/// A process could not start: `posix_spawn` failed with `errno`.
public struct SpawnFailure: Error, CustomStringConvertible, Sendable {
    /// The program that did not start.
    public let executable: String
    /// The error `posix_spawn` returned.
    public let errno: Int32
    /// The failure, in words.
    public var description: String { "cannot start \(executable): errno \(errno)" }
}
