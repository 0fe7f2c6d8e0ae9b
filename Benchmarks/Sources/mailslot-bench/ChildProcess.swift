import CBaselines
import Glibc

/// A child process of this benchmark (this same executable, another subcommand).
///
/// Its stdout goes to a pipe read after it exits; it inherits `holdOpen` as descriptor 3 and
/// keeps it open until it exits, which is how a receiver learns that every writer is done
/// (the pipe's read end reports end-of-file).
struct ChildProcess {
    let pid: pid_t
    private let output: Int32

    static let executable: String = {
        var buffer = [CChar](repeating: 0, count: 4096)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        return length > 0 ? String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self) : CommandLine.arguments[0]
    }()

    init(arguments: [String], holdOpen: Int32, stdin: Int32? = nil, executable: String = ChildProcess.executable) throws(BenchError) {
        var pipeEnds: [Int32] = [0, 0]
        let piped = cb_pipe(&pipeEnds)
        guard piped == 0 else { throw .system("pipe2", -piped) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], 1)
        posix_spawn_file_actions_adddup2(&actions, holdOpen, 3)
        if let stdin { posix_spawn_file_actions_adddup2(&actions, stdin, 0) }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        close(pipeEnds[1])
        guard status == 0 else {
            close(pipeEnds[0])
            throw .system("posix_spawn", status)
        }
        self.pid = pid
        self.output = pipeEnds[0]
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
