import Glibc
import MailslotSupport

/// A child process started with `posix_spawn`: its standard input from `/dev/null`, its output
/// to a file (or inherited), in a process group of its own unless told otherwise.
public final class Subprocess {
    /// The child's pid.
    public let pid: pid_t
    private var status: Int32?

    /// Starts `executable` with `arguments`; output goes to `outputPath` (both streams), or is
    /// inherited when it is `nil`.
    /// - Throws: ``LabError`` when the process cannot start.
    public init(_ executable: String, _ arguments: [String], outputPath: String? = nil) throws(LabError) {
        var actions: [ProcessSpawner.FileAction] = [.open("/dev/null", to: 0, flags: O_RDONLY)]
        if let outputPath {
            actions += [.open(outputPath, to: 1, flags: O_WRONLY | O_CREAT | O_TRUNC), .duplicate(1, to: 2)]
        }
        do { pid = try ProcessSpawner.spawn(executable, arguments, actions: actions) } catch { throw LabError(error.description) }
    }

    /// The exit status once the child has ended (`nil` while it runs); a signal's death is
    /// 128 + its number.
    public func poll() -> Int32? {
        if let status { return status }
        var raw: Int32 = 0
        guard waitpid(pid, &raw, WNOHANG) == pid else { return nil }
        let code = ProcessSpawner.exitCode(ofWaitStatus: raw)
        status = code
        return code
    }

    /// Waits for the end, up to `timeout` seconds (`nil`: for ever). - Returns: the status, or
    /// `nil` when the time ran out.
    @discardableResult
    public func wait(timeout: Double? = nil) -> Int32? {
        let deadline = timeout.map { monotonicSeconds() + $0 }
        while true {
            if let code = poll() { return code }
            if let deadline, monotonicSeconds() >= deadline { return nil }
            usleep(10_000)
        }
    }

    /// Sends `signal`.
    public func send(_ signal: Int32) {
        if poll() == nil { kill(pid, signal) }
    }

    /// Ends the child: SIGTERM, then SIGKILL after `grace` seconds.
    public func stop(grace: Double = 2) {
        send(SIGTERM)
        if wait(timeout: grace) == nil {
            send(SIGKILL)
            wait()
        }
    }

    /// Ends many children at once: SIGTERM to all, then SIGKILL to those still running after
    /// `grace` seconds (so a hundred children take `grace` at most, not a hundred times it).
    public static func stopAll(_ children: [Subprocess], grace: Double = 1) {
        for child in children { child.send(SIGTERM) }
        let deadline = monotonicSeconds() + grace
        while children.contains(where: { $0.poll() == nil }), monotonicSeconds() < deadline { usleep(10_000) }
        for child in children where child.poll() == nil {
            child.send(SIGKILL)
            child.wait()
        }
    }

    /// Runs `executable` to its end with output discarded. - Returns: its status.
    @discardableResult
    public static func run(_ executable: String, _ arguments: [String]) throws(LabError) -> Int32 {
        try Subprocess(executable, arguments, outputPath: "/dev/null").wait() ?? -1
    }

    /// Runs `executable` to its end and returns its output (both streams).
    public static func output(_ executable: String, _ arguments: [String]) throws(LabError) -> (status: Int32, text: String) {
        let path = "/tmp/mslt-output-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { unlink(path) }
        let status = try Subprocess(executable, arguments, outputPath: path).wait() ?? -1
        return (status, readText(path))
    }
}

/// A file's text (empty when it cannot be read).
func readText(_ path: String) -> String {
    String(decoding: FileBytes.read(path) ?? [], as: UTF8.self)
}

/// The lab could not be built, run or removed.
public struct LabError: Error, CustomStringConvertible {
    /// What went wrong.
    public let description: String
    /// An error saying `description`.
    public init(_ description: String) { self.description = description }
}
