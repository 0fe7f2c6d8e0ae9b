import Glibc
import MailslotEngine
import MailslotTestSupport
import Testing

/// Behaviour across real processes: the `mailslot` CLI as server or writer, signals, kill -9,
/// and handle passing.
@Suite("Across processes", .serialized, .timeLimit(.minutes(5)))
struct ProcessTests {
    let binary = MailslotBinary.path

    @Test("serve --count 3 prints exactly three messages from three writer processes, in order")
    func serveThreeMessages() throws {
        let path = uniqueMailslotPath("serve3")
        let server = try ChildProcess(binary, ["serve", path, "--count", "3"])
        #expect(server.waitForStderrLine(startingWith: "ready ") == "ready \\\\.\\mailslot\\" + path)
        for message in ["first", "second message", "third"] {
            let writer = try MailslotBinary.run(["write", path, message])
            #expect(writer.code == 0)
        }
        #expect(server.waitForExit() == 0)
        #expect(server.standardOutput == "first\nsecond message\nthird\n")
    }

    @Test("a second serve of a live name exits non-zero with already-exists")
    func secondServeFails() throws {
        let path = uniqueMailslotPath("twice")
        let first = try ChildProcess(binary, ["serve", path])
        #expect(first.waitForStderrLine(startingWith: "ready ") != nil)
        let second = try MailslotBinary.run(["serve", path])
        #expect(second.code == 1)
        #expect(second.stderr.contains("ERROR_ALREADY_EXISTS"))
        #expect(second.stderr.contains("183"))
        first.kill(SIGTERM)
        #expect(first.waitForExit() == 0)
        #expect(first.standardError.contains("summary: 0 messages received"))
    }

    @Test("write to a missing mailslot exits non-zero with file-not-found and its Win32 code")
    func writeNoSuch() throws {
        let result = try MailslotBinary.run(["write", uniqueMailslotPath("nosuch"), "hi"])
        #expect(result.code == 1)
        #expect(result.stderr.contains("ERROR_FILE_NOT_FOUND"))
        #expect(result.stderr.contains("Win32 error 2"))
        #expect(result.stderr.split(separator: "\n").count == 1)
    }

    @Test("a bad name on the command line exits non-zero with ERROR_INVALID_NAME")
    func writeBadName() throws {
        let result = try MailslotBinary.run(["write", "\\\\.\\pipe\\x", "hi"])
        #expect(result.code == 1)
        #expect(result.stderr.contains("ERROR_INVALID_NAME"))
    }

    @Test("messages from several writer processes queue FIFO in one server")
    func fifoAcrossProcesses() throws {
        let engine = try MailslotEngine()
        let path = uniqueMailslotPath("fifo")
        let server = try engine.createMailslot(try MailslotName(localPath: path), readTimeout: .immediate)
        for writer in 0..<4 {
            let result = try MailslotBinary.run(["write", path, "w\(writer)-a", "w\(writer)-b", ""])
            #expect(result.code == 0)
            // GetMailslotInfo between writers: the server takes in what the kernel queued
            // (it holds only net.unix.max_dgram_qlen datagrams while no loop runs).
            _ = try server.info()
        }
        var messages: [String] = []
        while let message = try? server.readMessage() { messages.append(String(decoding: message, as: UTF8.self)) }
        #expect(messages == (0..<4).flatMap { ["w\($0)-a", "w\($0)-b", ""] })
    }

    @Test("write --stdin sends each line as a message; --hex and --format hex/json round-trip bytes")
    func stdinAndFormats() throws {
        let path = uniqueMailslotPath("formats")
        let server = try ChildProcess(binary, ["serve", path, "--count", "4", "--format", "json"])
        #expect(server.waitForStderrLine(startingWith: "ready ") != nil)
        var pipeFDs: [Int32] = [0, 0]
        #expect(pipe(&pipeFDs) == 0)
        _ = "line one\nline two\n".withCString { write(pipeFDs[1], $0, strlen($0)) }
        close(pipeFDs[1])
        let writer = try ChildProcess(binary, ["write", path, "--stdin"], stdin: pipeFDs[0])
        close(pipeFDs[0])
        #expect(writer.waitForExit() == 0)
        #expect(try MailslotBinary.run(["write", path, "--hex", "00ff0a41"]).code == 0)
        #expect(try MailslotBinary.run(["write", path, "tab\there"]).code == 0)
        #expect(server.waitForExit() == 0)
        let lines = server.standardOutput.split(separator: "\n")
        #expect(lines.count == 4)
        #expect(lines[0].contains("\"text\":\"line one\""))
        #expect(lines[2].contains("\"hex\":\"00ff0a41\"") && lines[2].contains("\"size\":4"))
        #expect(lines[3].contains("\"text\":\"tab\\there\""))
    }

    @Test("a blocking read with the forever timeout waits for a message that comes later")
    func foreverWaits() throws {
        let engine = try MailslotEngine()
        let path = uniqueMailslotPath("forever")
        let server = try engine.createMailslot(try MailslotName(localPath: path), readTimeout: .forever)
        let writer = try ChildProcess("/bin/sh", ["-c", "sleep 0.3; exec \"$0\" write \"$1\" late", binary, path])
        let start = ContinuousClock.now
        #expect(try server.readMessage() == Array("late".utf8))
        #expect(ContinuousClock.now - start >= .milliseconds(250))
        #expect(writer.waitForExit() == 0)
    }

    @Test("write --fan-out sends each message to TARGET0 ... TARGETn-1, and refuses --stdin")
    func fanOut() throws {
        let engine = try MailslotEngine()
        let prefix = uniqueMailslotPath("fan") + "-"
        let servers = try (0..<3).map {
            try engine.createMailslot(try MailslotName(localPath: prefix + String($0)), readTimeout: .immediate)
        }
        #expect(try MailslotBinary.run(["write", prefix, "--fan-out", "3", "--hex", "4142", "43"]).code == 0)
        for server in servers {
            #expect(try server.readMessage() == [0x41, 0x42])
            #expect(try server.readMessage() == [0x43])
        }
        #expect(try MailslotBinary.run(["write", prefix, "--fan-out", "3", "--stdin"]).code != 0)
    }

    @Test("kill -9 of the server frees the name and writers see file-not-found")
    func killNineCleansUp() throws {
        let path = uniqueMailslotPath("kill9")
        let name = try MailslotName(localPath: path)
        let server = try ChildProcess(binary, ["serve", path])
        #expect(server.waitForStderrLine(startingWith: "ready ") != nil)
        let engine = try MailslotEngine()
        #expect(throws: MailslotError.alreadyExists(name.fullName)) { try engine.createMailslot(name) }
        let client = try MailslotClient(name)
        try client.write("before")
        server.kill(SIGKILL)
        #expect(server.waitForExit() == 128 + SIGKILL)
        #expect(throws: MailslotError.serverGone) { try client.write("after") }
        #expect(throws: MailslotError.fileNotFound(name.fullName)) { try MailslotClient(name) }
        #expect(!LocalMailslots.list().contains { $0.name == name.fullName })
        let replacement = try engine.createMailslot(name, readTimeout: .immediate)
        #expect(try replacement.info().messageCount == 0)
    }

    @Test("a server handle inherited across exec is read by the child; the name lives until the last handle closes")
    func inheritedHandle() throws {
        let engine = try MailslotEngine()
        let path = uniqueMailslotPath("inherit")
        let name = try MailslotName(localPath: path)
        let server = try engine.createMailslot(name, maxMessageSize: 77)
        let descriptor = try server.inheritableDescriptor()
        let child = try ChildProcess(binary, ["serve", "--inherited-fd", "3", "--count", "1"], inherit: [3: descriptor])
        close(descriptor)
        #expect(child.waitForStderrLine(startingWith: "ready ") == "ready " + name.fullName)
        server.close()
        let client = try MailslotClient(name)
        #expect(client.maxMessageSize == 77)
        try client.write("to the child")
        let code = child.waitForExit(timeout: 5)
        let owners = LocalMailslots.list().first { $0.name == name.fullName }
        #expect(code == 0, "child \(child.pid) out=\(child.standardOutput) err=\(child.standardError) owners=\(String(describing: owners))")
        #expect(child.standardOutput == "to the child\n")
        #expect(throws: MailslotError.fileNotFound(name.fullName)) { try MailslotClient(name) }
    }

    @Test("a server handle passed over a Unix socket (SCM_RIGHTS) is read by the receiving process")
    func passedHandle() throws {
        let engine = try MailslotEngine()
        let path = uniqueMailslotPath("scm")
        let name = try MailslotName(localPath: path)
        let server = try engine.createMailslot(name)
        var pair: [Int32] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0)
        defer { close(pair[0]) }
        let child = try ChildProcess(binary, ["serve", "--handle-socket-fd", "3", "--count", "2"], inherit: [3: pair[1]])
        close(pair[1])
        try server.send(over: pair[0])
        #expect(child.waitForStderrLine(startingWith: "ready ") == "ready " + name.fullName)
        server.close()
        let client = try MailslotClient(name)
        try client.write("passed")
        try client.write("over scm_rights")
        #expect(child.waitForExit(timeout: 5) == 0, "\(child.standardOutput) \(child.standardError)")
        #expect(child.standardOutput == "passed\nover scm_rights\n")
    }

    @Test("list shows a mailslot of another process with its pid, owner uid, max size and writers")
    func listOtherProcess() throws {
        let path = uniqueMailslotPath("lst")
        let server = try ChildProcess(binary, ["serve", path, "--max-size", "512"])
        #expect(server.waitForStderrLine(startingWith: "ready ") != nil)
        let listing = try MailslotBinary.run(["list"])
        let line = listing.stdout.split(separator: "\n").first { $0.hasSuffix(path) }
        #expect(line == "\(server.pid)\t\(geteuid())\t512\tany\t\\\\.\\mailslot\\\(path)")
        server.kill(SIGINT)
        #expect(server.waitForExit() == 0)
    }

    @Test("a finite serve timeout exits 1 with ERROR_SEM_TIMEOUT when no message comes")
    func serveTimeout() throws {
        let result = try MailslotBinary.run(["serve", uniqueMailslotPath("to"), "--timeout", "100"])
        #expect(result.code == 1)
        #expect(result.stderr.contains("ERROR_SEM_TIMEOUT"))
    }

    @Test("one engine hosts 10,000 mailslots, each written once by another process and all read")
    func tenThousandMailslots() throws {
        let engine = try MailslotEngine()
        let prefix = uniqueMailslotPath("many") + "-"
        var servers: [MailslotServer] = []
        servers.reserveCapacity(10_000)
        for index in 0..<10_000 {
            servers.append(try engine.createMailslot(try MailslotName(localPath: prefix + String(index)), readTimeout: .immediate))
        }
        #expect(engine.mailslotCount == 10_000)
        let writer = try MailslotBinary.run(["write", prefix, "--fan-out", "10000", "hello"], timeout: 120)
        #expect(writer.code == 0, "\(writer.stderr)")
        var read = 0
        for server in servers where (try? server.readMessage()) == Array("hello".utf8) { read += 1 }
        #expect(read == 10_000)
    }
}
