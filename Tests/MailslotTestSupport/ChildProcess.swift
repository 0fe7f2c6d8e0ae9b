import Glibc
import MailslotSupport

/// A real child process with its stdout and stderr captured, for multi-process tests.
public final class ChildProcess {
    public let pid: pid_t
    private let stdoutFD: Int32
    private let stderrFD: Int32
    private var stdoutBuffer: [UInt8] = []
    private var stderrBuffer: [UInt8] = []
    private var exitStatus: Int32?
    /// The child's peak resident memory in KiB (`wait4`'s `ru_maxrss`), once it has exited.
    /// It includes the parent's memory while the spawn shared it (vfork), so a large test
    /// process inflates it: ``residentHighWaterKilobytes()`` measures the child's own image.
    public private(set) var peakResidentKilobytes: Int?

    /// Spawns `executable` with `arguments`.
    /// - Parameter inherit: child descriptor number → parent descriptor to place there.
    /// - Parameter stdout: a descriptor to give the child as its standard output instead of
    ///   capturing it (``standardOutput`` then stays empty).
    public init(_ executable: String, _ arguments: [String], inherit: [Int32: Int32] = [:], stdin: Int32? = nil, stdout: Int32? = nil) throws {
        var outPipe: [Int32] = [0, 0]
        var errPipe: [Int32] = [0, 0]
        guard pipe(&outPipe) == 0, pipe(&errPipe) == 0 else { throw SpawnError(errno: errno) }
        for fd in outPipe + errPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions: [ProcessSpawner.FileAction] = []
        if let stdin { actions.append(.duplicate(stdin, to: 0)) }
        actions += [.duplicate(stdout ?? outPipe[1], to: 1), .duplicate(errPipe[1], to: 2)]
        actions += inherit.map { child, parent in .duplicate(parent, to: child) }
        // Children start with no blocked signals and default dispositions, whatever the test
        // runner's threads have.
        let spawned = Result { () throws(SpawnFailure) in
            try ProcessSpawner.spawn(executable, arguments, actions: actions, resetSignals: true)
        }
        close(outPipe[1])
        close(errPipe[1])
        switch spawned {
        case .success(let child):
            pid = child
        case .failure(let failure):
            close(outPipe[0])
            close(errPipe[0])
            throw SpawnError(errno: failure.errno)
        }
        stdoutFD = outPipe[0]
        stderrFD = errPipe[0]
    }

    deinit {
        if exitStatus == nil {
            Glibc.kill(pid, SIGKILL)
            _ = waitForExit(timeout: 5)
        }
        close(stdoutFD)
        close(stderrFD)
    }

    /// The child's own resident high-water mark now (`VmHWM` of its current image), in KiB.
    public func residentHighWaterKilobytes() -> Int? {
        guard exitStatus == nil, let file = fopen("/proc/\(pid)/status", "r") else { return nil }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, Int32(line.count), file) != nil {
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if text.hasPrefix("VmHWM:") {
                return Int(text.dropFirst(6).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "")
            }
        }
        return nil
    }

    /// Sends a signal.
    public func kill(_ signal: Int32 = SIGTERM) { Glibc.kill(pid, signal) }

    /// Waits for a stderr line starting with `prefix`; returns it, or `nil` on timeout or exit.
    public func waitForStderrLine(startingWith prefix: String, timeout: Double = 10) -> String? {
        waitForLine(fd: stderrFD, buffer: \.stderrBuffer, prefix: prefix, timeout: timeout)
    }

    /// Waits for a stdout line starting with `prefix`.
    public func waitForStdoutLine(startingWith prefix: String = "", timeout: Double = 10) -> String? {
        waitForLine(fd: stdoutFD, buffer: \.stdoutBuffer, prefix: prefix, timeout: timeout)
    }

    /// Waits for the process to end, draining its output. Returns the exit code (128+signal for a
    /// signal), or `nil` on timeout.
    @discardableResult
    public func waitForExit(timeout: Double = 30) -> Int32? {
        if let exitStatus { return exitStatus }
        let deadline = now() + timeout
        while now() < deadline {
            drain(stdoutFD, into: \.stdoutBuffer, wait: 0.01)
            drain(stderrFD, into: \.stderrBuffer, wait: 0)
            if let code = reap() {
                while drain(stdoutFD, into: \.stdoutBuffer, wait: 0) {}
                while drain(stderrFD, into: \.stderrBuffer, wait: 0) {}
                return code
            }
        }
        return nil
    }

    /// Everything the process wrote to stdout so far (call after ``waitForExit(timeout:)``).
    public var standardOutput: String { String(decoding: stdoutBuffer, as: UTF8.self) }
    /// Everything the process wrote to stderr so far.
    public var standardError: String { String(decoding: stderrBuffer, as: UTF8.self) }

    private func waitForLine(fd: Int32, buffer: ReferenceWritableKeyPath<ChildProcess, [UInt8]>, prefix: String, timeout: Double) -> String? {
        let deadline = now() + timeout
        while true {
            let lines = self[keyPath: buffer].split(separator: 10, omittingEmptySubsequences: false)
            for line in lines.dropLast() {
                let text = String(decoding: line, as: UTF8.self)
                if text.hasPrefix(prefix) {
                    return text
                }
            }
            if now() >= deadline || exitStatus != nil { return nil }
            if !drain(fd, into: buffer, wait: 0.05), reap() != nil {
                while drain(fd, into: buffer, wait: 0) {}
            }
        }
    }

    /// Collects the exit status (and peak memory) if the child has ended.
    private func reap() -> Int32? {
        var status: Int32 = 0
        var usage = rusage()
        guard wait4(pid, &status, WNOHANG, &usage) == pid else { return nil }
        let code = ProcessSpawner.exitCode(ofWaitStatus: status)
        exitStatus = code
        peakResidentKilobytes = usage.ru_maxrss
        return code
    }

    /// Reads what is available within `wait` seconds. Returns `true` if bytes arrived.
    @discardableResult
    private func drain(_ fd: Int32, into buffer: ReferenceWritableKeyPath<ChildProcess, [UInt8]>, wait: Double) -> Bool {
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&entry, 1, Int32(wait * 1000)) > 0 else { return false }
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = read(fd, &chunk, chunk.count)
        guard count > 0 else { return false }
        self[keyPath: buffer] += chunk[0..<count]
        return true
    }

    private func now() -> Double { MonotonicClock.seconds() }
}

/// `posix_spawn` or `pipe` failed.
public struct SpawnError: Error {
    public let errno: Int32
}

/// Where the built `mailslot` executable is: beside the test bundle.
public enum MailslotBinary {
    public static var path: String { sibling("mailslot") }

    /// Another executable of the package, built beside the test bundle, or in
    /// `MAILSLOT_TOOLS_DIRECTORY` when that is set (the sanitizer builds, which build no
    /// executables, use the debug build's: scripts/sanitize.sh).
    public static func sibling(_ name: String) -> String {
        if let directory = getenv("MAILSLOT_TOOLS_DIRECTORY").map({ String(cString: $0) }), !directory.isEmpty {
            return directory + "/" + name
        }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { readlink("/proc/self/exe", $0.baseAddress!.assumingMemoryBound(to: CChar.self), $0.count) }
        let executable = String(decoding: buffer[0..<max(0, count)], as: UTF8.self)
        var parts = executable.split(separator: "/", omittingEmptySubsequences: false)
        while let last = parts.last, !last.hasSuffix(".xctest") && parts.count > 1 { parts.removeLast() }
        parts.removeLast()
        return parts.joined(separator: "/") + "/" + name
    }

    /// Runs `mailslot` with `arguments` to completion.
    public static func run(_ arguments: [String], timeout: Double = 30) throws -> (code: Int32?, stdout: String, stderr: String) {
        let child = try ChildProcess(path, arguments)
        let code = child.waitForExit(timeout: timeout)
        return (code, child.standardOutput, child.standardError)
    }
}

/// A name no other test (or earlier run) uses.
public func uniqueMailslotPath(_ label: String) -> String {
    "test\\\(getpid())-\(label)-\(UInt32.random(in: 0...UInt32.max))"
}
