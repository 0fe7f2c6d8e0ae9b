import Glibc
@testable import MailslotEngine
import MailslotTestSupport
import Testing

/// A place for one hostile-user test: a sticky folder of its own holding the registry folder
/// (`MAILSLOT_RUNTIME_DIR`) and a copy of the `mailslot` binary every uid may run, plus ways to
/// run commands as root and as other, unprivileged uids (`setpriv`, no account needed).
final class HostileLab {
    /// The attacker's uid (and primary gid, unless a test says otherwise).
    static let attacker: UInt32 = 47_001
    /// Another unprivileged user, whom mailslots may let write.
    static let bystander: UInt32 = 47_002
    /// A group neither user is in by default.
    static let group: UInt32 = 47_010

    static var available: Bool { geteuid() == 0 && access("/usr/bin/setpriv", X_OK) == 0 }
    static let skipReason: Comment = "needs root and setpriv (util-linux) to run processes as other uids"

    /// What a finished command left.
    struct Outcome {
        var code: Int32?
        var stdout: String
        var stderr: String
    }

    let base: String
    /// The registry folder the test's processes use.
    let folder: String
    /// The `mailslot` binary, where every uid may run it.
    let binary: String

    init() throws {
        base = "/tmp/mailslot-hostile-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        folder = base + "/registry"
        binary = base + "/bin/mailslot"
        guard mkdir(base, 0o755) == 0, chmod(base, 0o1777) == 0, mkdir(base + "/bin", 0o755) == 0 else {
            throw HostileLabError.setup("cannot make \(base)")
        }
        let copy = try ChildProcess("/bin/cp", [MailslotBinary.path, binary])
        guard copy.waitForExit(timeout: 30) == 0, chmod(binary, 0o755) == 0 else { throw HostileLabError.setup("cannot copy the binary") }
        guard mkdir(folder, 0o1777) == 0, chmod(folder, 0o1777) == 0 else { throw HostileLabError.setup("cannot make \(folder)") }
    }

    deinit {
        _ = try? ChildProcess("/bin/rm", ["-rf", base]).waitForExit(timeout: 30)
    }

    /// The registry file name of a mailslot path.
    func key(_ path: String) throws -> String { LocalEndpoint(try MailslotName(localPath: path)).key }

    /// Where the registry file of a mailslot path lives (or would).
    func entryPath(_ path: String) -> String { folder + "/" + ((try? key(path)) ?? "?") }

    /// Removes the registry folder (for tests that let the attacker make it).
    func removeFolder() throws {
        _ = try ChildProcess("/bin/rm", ["-rf", folder]).waitForExit(timeout: 30)
    }

    /// Starts a shell command as `uid` (root when 0) with the lab's registry.
    func inBackground(asUID uid: UInt32, gid: UInt32? = nil, _ command: String) throws -> ChildProcess {
        var arguments = ["MAILSLOT_RUNTIME_DIR=\(folder)"]
        if uid != 0 {
            arguments += ["/usr/bin/setpriv", "--reuid=\(uid)", "--regid=\(gid ?? uid)", "--clear-groups"]
        }
        return try ChildProcess("/usr/bin/env", arguments + ["/bin/sh", "-c", command])
    }

    /// Runs a shell command as `uid` and waits (at most 20 s: an attack must not hang anyone).
    func shell(asUID uid: UInt32, gid: UInt32? = nil, _ command: String) throws -> Outcome {
        let child = try inBackground(asUID: uid, gid: gid, command)
        let code = child.waitForExit(timeout: 20)
        if code == nil { child.kill(SIGKILL) }
        return Outcome(code: code, stdout: child.standardOutput, stderr: child.standardError)
    }

    /// Runs `mailslot ARGUMENTS` as `uid`.
    func run(asUID uid: UInt32, gid: UInt32? = nil, _ arguments: String) throws -> Outcome {
        try shell(asUID: uid, gid: gid, "exec '\(binary)' \(arguments)")
    }

    /// Runs `mailslot ARGUMENTS` as root.
    func root(_ arguments: String) throws -> Outcome { try run(asUID: 0, arguments) }

    /// Runs a shell command as the attacker.
    func attacker(_ command: String) -> Outcome {
        (try? shell(asUID: Self.attacker, command)) ?? Outcome(code: nil, stdout: "", stderr: "could not start")
    }

    /// Starts a shell command as the attacker, in the background.
    func attackerInBackground(_ command: String) throws -> ChildProcess {
        try inBackground(asUID: Self.attacker, command)
    }

    /// Starts root's `mailslot serve PATH --count N` and waits until it is ready.
    func serve(_ path: String, count: Int, extra: String = "") throws -> ChildProcess {
        let server = try inBackground(asUID: 0, "exec '\(binary)' serve '\(path)' --count \(count) \(extra)")
        guard server.waitForStderrLine(startingWith: "ready") != nil else {
            server.kill(SIGKILL)
            throw HostileLabError.setup("serve did not start: \(server.standardError)")
        }
        return server
    }

    static func writeFile(_ path: String, _ text: String, mode: mode_t) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode)
        guard fd >= 0 else { throw HostileLabError.setup("cannot write \(path)") }
        _ = text.utf8CString.withUnsafeBufferPointer { write(fd, $0.baseAddress, $0.count - 1) }
        close(fd)
    }

}

enum HostileLabError: Error {
    case setup(String)
}
