import Glibc
import MailslotEngine
import MailslotTestSupport
import Testing

/// The command line keeps its word: bytes arrive as sent, an option it cannot honour is an
/// error at once (with the Win32 code), and what it prints on stderr is whole lines, in order.
@Suite("The command line's contract", .serialized, .timeLimit(.minutes(2)))
struct CommandLineContractTests {
    let binary = MailslotBinary.path

    @Test("write --stdin sends each line byte for byte: all 256 byte values, invalid UTF-8 included")
    func stdinLinesAreBytes() throws {
        let path = uniqueMailslotPath("bytes")
        // Every byte value but the newline, which ends a line: one line with all 255 of them,
        // then one line per value, and the issue's own `ff fe 80 61 62 63`.
        let values = (0...255).map(UInt8.init).filter { $0 != 0x0A }
        var lines: [[UInt8]] = [values, [0xFF, 0xFE, 0x80, 0x61, 0x62, 0x63]]
        lines += values.map { [$0] }
        let server = try ChildProcess(binary, ["serve", path, "--format", "hex", "--count", "\(lines.count)"])
        #expect(server.waitForStderrLine(startingWith: "ready ") != nil)
        let input = temporaryFile("bytes", "")
        var raw: [UInt8] = []
        for line in lines { raw += line + [0x0A] }
        let fd = open(input, O_WRONLY | O_TRUNC)
        _ = raw.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        let readFD = open(input, O_RDONLY)
        let writer = try ChildProcess(binary, ["write", path, "--stdin", "--wait", "10000"], stdin: readFD)
        close(readFD)
        #expect(writer.waitForExit() == 0, "\(writer.standardError)")
        #expect(server.waitForExit() == 0, "\(server.standardError)")
        let expected = lines.map(Self.hex)
        #expect(server.standardOutput.split(separator: "\n").map(String.init) == expected)
    }

    @Test("write --wait=-1 is refused at once with ERROR_INVALID_PARAMETER; nothing is sent")
    func negativeWait() throws {
        let path = uniqueMailslotPath("wait")
        let server = try ChildProcess(binary, ["serve", path, "--count", "1"])
        #expect(server.waitForStderrLine(startingWith: "ready ") != nil)
        let refused = try MailslotBinary.run(["write", path, "--wait=-1", "never"])
        #expect(refused.code == 1)
        #expect(refused.stderr.hasPrefix("mailslot: invalid parameter") && refused.stderr.contains("ERROR_INVALID_PARAMETER"), "\(refused.stderr)")
        // The library refuses it too, for a single write and a batch.
        let client = try MailslotClient(try MailslotName(localPath: path))
        #expect(throws: MailslotError.invalidParameter("a wait of -1 ms (0 or more; nil waits as long as it takes)")) {
            try [UInt8]("never".utf8).withUnsafeBytes { try client.write($0, waitingUpTo: -1) }
        }
        let batch = MailslotWriteBatch(capacity: 1, maxMessageSize: 8)
        #expect(throws: MailslotError.self) { try client.write(batch, waitingUpTo: -1) }
        #expect(try MailslotBinary.run(["write", path, "--wait=0", "sent"]).code == 0)
        #expect(server.waitForExit() == 0)
        #expect(server.standardOutput == "sent\n")
    }

    @Test("serve --max-size above 65,535 is refused with ERROR_INVALID_PARAMETER; 65,535 and 0xFFFFFFFF are taken")
    func maxSizeAboveTheLimit() throws {
        let path = uniqueMailslotPath("max")
        let refused = try MailslotBinary.run(["serve", path, "--max-size", "70000", "--timeout", "0"])
        #expect(refused.code == 1)
        #expect(refused.stderr.hasPrefix("mailslot: invalid parameter") && refused.stderr.contains("65535"), "\(refused.stderr)")
        #expect(!refused.stderr.contains("ready"))
        for taken in ["65535", "4294967295"] {
            let served = try MailslotBinary.run(["serve", path, "--max-size", taken, "--timeout", "0"])
            #expect(served.stderr.contains("ERROR_SEM_TIMEOUT"), "\(served.stderr)")
        }
        let engine = try MailslotEngine()
        #expect(throws: MailslotError.self) { try engine.createMailslot(named: #"\\.\mailslot\"# + path, maxMessageSize: 65_536) }
    }

    @Test("a --hosts-file that cannot be read is an error at once, not a name map that never matches")
    func missingHostsFile() throws {
        let missing = "/tmp/mailslot-no-such-hosts-\(getpid())"
        let write = try MailslotBinary.run(["write", #"\\HOSTX\mailslot\x"#, "hi", "--hosts-file", missing])
        #expect(write.code == 1)
        #expect(write.stderr.contains("cannot read the hosts file \(missing)") && write.stderr.contains("ERROR_INVALID_PARAMETER"), "\(write.stderr)")
        let serve = try MailslotBinary.run(["serve", uniqueMailslotPath("hosts"), "--udp-port", "0", "--hosts-file", missing])
        #expect(serve.code == 1)
        #expect(serve.stderr.hasPrefix("mailslot: invalid parameter"), "\(serve.stderr)")
    }

    @Test("serve's and write's failures are one line in one form: 'mailslot: <condition> (<ERROR_…>, Win32 error N)'")
    func oneErrorForm() throws {
        let badName = try MailslotBinary.run(["serve", #"bad\\name\"#])
        let missing = try MailslotBinary.run(["write", uniqueMailslotPath("none"), "hi"])
        for failure in [badName, missing] {
            #expect(failure.code == 1)
            let lines = failure.stderr.split(separator: "\n")
            #expect(lines.count == 1 && lines[0].hasPrefix("mailslot: ") && lines[0].contains(", Win32 error "), "\(failure.stderr)")
        }
    }

    @Test("serve whose metrics port is taken fails, after stopping its engine and printing its summary; the name is free")
    func failedServiceGroupStillSummarises() throws {
        // A listening socket of this test holds the port.
        let holder = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(holder) }
        var address = sockaddr_in(sin_family: sa_family_t(AF_INET), sin_port: 0, sin_addr: in_addr(s_addr: UInt32(0x7F00_0001).bigEndian), sin_zero: (0, 0, 0, 0, 0, 0, 0, 0))
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(holder, $0, length) == 0 && listen(holder, 1) == 0 && getsockname(holder, $0, &length) == 0 }
        }
        #expect(bound)
        let path = uniqueMailslotPath("metricsbusy")
        let failed = try MailslotBinary.run(["serve", path, "--metrics", "127.0.0.1:\(UInt16(bigEndian: address.sin_port))"])
        #expect(failed.code == 1)
        #expect(failed.stderr.contains("summary: 0 messages received, 0 dropped (none)"), "\(failed.stderr)")
        #expect(try MailslotBinary.run(["write", path, "late"]).stderr.contains("ERROR_FILE_NOT_FOUND"))
    }

    @Test("serve --timeout 0, 200 times beside two CPU hogs: always ERROR_SEM_TIMEOUT, stderr in whole lines, ready before the summary")
    func zeroTimeoutUnderLoad() throws {
        let hogs = try (0..<2).map { _ in try ChildProcess("/bin/sh", ["-c", "while :; do :; done"]) }
        defer { for hog in hogs { hog.kill(SIGKILL) } }
        var failures: [String] = []
        for round in 0..<50 {
            let servers = try (0..<4).map { index in
                try ChildProcess(binary, ["serve", uniqueMailslotPath("t0-\(round)-\(index)"), "--timeout", "0"])
            }
            for server in servers {
                let code = server.waitForExit(timeout: 30)
                let lines = server.standardError.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                let shape = lines.count == 4 && lines[0].hasPrefix("ready ") && lines[1].hasPrefix("summary: 0 messages received")
                    && lines[2].hasPrefix("mailslot: timeout") && lines[2].hasSuffix("(ERROR_SEM_TIMEOUT, Win32 error 121)")
                    && lines[3].isEmpty
                if code != 1 || !shape { failures.append("exit \(code.map(String.init) ?? "none"): \(server.standardError)") }
            }
        }
        #expect(failures.isEmpty, "\(failures.count) of 200 runs: \(failures.prefix(3))")
    }

    @Test("a read-only /dev/shm: serve fails with ERROR_ACCESS_DENIED and what to set, instead of moving the registry to /tmp",
          .enabled(if: geteuid() == 0 && access("/usr/bin/unshare", X_OK) == 0, "needs root and unshare for a mount namespace"))
    func readOnlySharedMemoryFolder() throws {
        let path = uniqueMailslotPath("rofs")
        let script = "mount -t tmpfs -o ro,size=64k tmpfs /dev/shm && exec env -u MAILSLOT_RUNTIME_DIR '\(binary)' serve '\(path)' --timeout 0"
        let child = try ChildProcess("/usr/bin/unshare", ["--mount", "--propagation", "private", "/bin/sh", "-c", script])
        #expect(child.waitForExit() == 1)
        let lines = child.standardError.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].hasPrefix("mailslot: access denied") && lines[0].contains("/dev/shm/mailslot.")
            && lines[0].contains("MAILSLOT_RUNTIME_DIR"), "\(child.standardError)")
    }

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }
}
