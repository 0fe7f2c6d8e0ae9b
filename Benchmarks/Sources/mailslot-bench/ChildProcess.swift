import CBaselines
import Glibc
import MailslotSupport

/// A child process of this benchmark (this same executable, another subcommand).
///
/// Its stdout goes to a pipe read after it exits; it inherits `holdOpen` as descriptor 3 and
/// keeps it open until it exits, which is how a receiver learns that every writer is done
/// (the pipe's read end reports end-of-file).
struct ChildProcess {
    let pid: pid_t
    private let output: Int32

    static let executable: String = ProcessSpawner.currentExecutable

    init(arguments: [String], holdOpen: Int32, stdin: Int32? = nil, executable: String = ChildProcess.executable) throws(BenchError) {
        var pipeEnds: [Int32] = [0, 0]
        let piped = cb_pipe(&pipeEnds)
        guard piped == 0 else { throw .system("pipe2", -piped) }
        var actions: [ProcessSpawner.FileAction] = [.duplicate(pipeEnds[1], to: 1), .duplicate(holdOpen, to: 3)]
        if let stdin { actions.append(.duplicate(stdin, to: 0)) }
        let spawned = Result { () throws(SpawnFailure) in try ProcessSpawner.spawn(executable, arguments, actions: actions) }
        close(pipeEnds[1])
        switch spawned {
        case .success(let pid):
            self.pid = pid
            self.output = pipeEnds[0]
        case .failure(let failure):
            close(pipeEnds[0])
            throw .system("posix_spawn", failure.errno)
        }
    }

    /// Reads stdout until a line starting with `prefix` (or end of output); returns it.
    func readLine(startingWith prefix: String) -> String? {
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while read(output, &byte, 1) == 1 {
            if byte == 10 {
                let text = String(decoding: line, as: UTF8.self)
                if text.hasPrefix(prefix) { return text }
                line.removeAll()
            } else {
                line.append(byte)
            }
        }
        return nil
    }

    /// Waits for the child and returns its stdout; throws when it failed.
    func finish() throws(BenchError) -> String {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(output, &chunk, chunk.count)
            if count > 0 { bytes += chunk[0..<count]; continue }
            if count < 0 && errno == EINTR { continue }
            break
        }
        close(output)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let text = String(decoding: bytes, as: UTF8.self)
        guard status == 0 else { throw .childFailed(status: status, output: text) }
        return text
    }
}

/// What can stop a benchmark run.
enum BenchError: Error, CustomStringConvertible {
    case system(String, Int32)
    case childFailed(status: Int32, output: String)
    case setup(String)

    var description: String {
        switch self {
        case .system(let call, let code): "\(call) failed: \(String(cString: strerror(code)))"
        case .childFailed(let status, let output): "a child process failed (wait status \(status)): \(output)"
        case .setup(let reason): reason
        }
    }
}
