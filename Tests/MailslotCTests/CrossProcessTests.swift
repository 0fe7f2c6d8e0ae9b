import Glibc
import MailslotTestSupport
import Testing

extension CLibraryTests {
    /// C programs and Swift ones on either side of a mailslot, each a process of its own: the
    /// Win32 samples with each other, with `mailslot serve` and `mailslot write`, across network
    /// namespaces for remote and domain names, and with the Swift toolchain hidden.
    @Suite("C and Swift processes both ways", .timeLimit(.minutes(3)))
    struct CrossProcessTests {
        func name(_ label: String) -> String { "\\\\.\\mailslot\\" + uniqueMailslotPath(label) }

        @Test("Microsoft's reader and writer samples, built unchanged, talk across processes")
        func win32SamplesAcrossProcesses() async throws {
            let slot = name("mssample")
            let reader = try CLibrary.spawn(try await CLibrary.program("ms_reader"), [slot, "3"])
            #expect((try await CLibrary.waiting { reader.waitForStdoutLine(startingWith: "Ready") }) != nil)
            let writer = try await CLibrary.shell("\(try await CLibrary.program("ms_writer")) '\(slot)'", timeout: 30)
            #expect(writer.code == 0, "\(writer.stdout)")
            #expect(writer.stdout.components("Slot written to successfully.") == 3)
            #expect((try await CLibrary.waiting { reader.waitForExit(timeout: 10) }) == 0, "\(reader.standardOutput)")
            for message in ["Message one for mailslot.", "Message two for mailslot.", "Message three for mailslot."] {
                #expect(reader.standardOutput.contains("Contents of the mailslot: \(message)"), "\(reader.standardOutput)")
            }
        }

        @Test("a C writer (WriteFile) to a Swift server (mailslot serve)")
        func cWriterToSwiftServer() async throws {
            let slot = name("ctoswift")
            // Built before the server starts: a compile under load once outlasted its timeout.
            let sender = try await CLibrary.program("win32_send")
            let server = try ChildProcess(MailslotBinary.path, ["serve", slot, "--count", "2", "--timeout", "20000"])
            #expect((try await CLibrary.waiting { server.waitForStderrLine(startingWith: "ready") }) != nil)
            let sent = try await CLibrary.shell("\(sender) '\(slot)' 'from C' ''")
            #expect(sent.code == 0, "\(sent.stdout)")
            #expect((try await CLibrary.waiting { server.waitForExit(timeout: 10) }) == 0, "\(server.standardError)")
            #expect(server.standardOutput == "from C\n\n")
        }

        @Test("a Swift writer (mailslot write) to a C server (CreateMailslot, ReadFile)")
        func swiftWriterToCServer() async throws {
            let slot = name("swifttoc")
            let reader = try CLibrary.spawn(try await CLibrary.program("ms_reader"), [slot, "2"])
            #expect((try await CLibrary.waiting { reader.waitForStdoutLine(startingWith: "Ready") }) != nil)
            let written = try await TestThread.await { try MailslotBinary.run(["write", slot, "first from Swift", "second from Swift"]) }
            #expect(written.code == 0, "\(written.stderr)")
            #expect((try await CLibrary.waiting { reader.waitForExit(timeout: 10) }) == 0, "\(reader.standardOutput)")
            #expect(reader.standardOutput.contains("Contents of the mailslot: first from Swift"))
            #expect(reader.standardOutput.contains("Contents of the mailslot: second from Swift"))
        }

        @Test("remote, domain and * writes from C reach a Swift server on another host, over UDP 138",
              .enabled(if: NetworkLab.unavailableReason == nil, "\(NetworkLab.unavailableReason ?? "")"))
        func remoteAndDomainWritesFromC() async throws {
            let lab = try await TestThread.await { try NetworkLab(hosts: 2, label: "c") }
            let sender = try await CLibrary.program("win32_send")
            let hostsFile = temporaryFile("chosts", "\(lab.address(0)) RECEIVER\n")
            defer { unlink(hostsFile) }
            let server = try lab.spawn(0, MailslotBinary.path, [
                "serve", "x", "--udp-port", "138", "--computer-name", "RECEIVER", "--domain", "CDOM", "--count", "3",
                "--timeout", "20000", "--format", "json",
            ])
            #expect((try await CLibrary.waiting { server.waitForStderrLine(startingWith: "ready") }) != nil)
            let settings = CLibrary.environment([
                "MAILSLOT_COMPUTER_NAME": "CSENDER", "MAILSLOT_DOMAIN": "CDOM", "MAILSLOT_BROADCAST": NetworkLab.broadcast,
                "MAILSLOT_HOSTS_FILE": hostsFile,
            ])
            for (target, text) in [("\\\\RECEIVER\\mailslot\\x", "unicast"), ("\\\\CDOM\\mailslot\\x", "domain"), ("\\\\*\\mailslot\\x", "star")] {
                let sent = try await TestThread.await { try lab.run(1, "/usr/bin/env", settings + [sender, target, text]) }
                #expect(sent.code == 0, "\(target): \(sent.stdout)")
            }
            #expect((try await CLibrary.waiting { server.waitForExit(timeout: 15) }) == 0, "\(server.standardError)")
            for text in ["unicast", "domain", "star"] {
                #expect(server.standardOutput.contains("\"\(text)\""), "\(server.standardOutput)")
            }
            #expect(server.standardOutput.contains("CSENDER"), "the origin names the C sender: \(server.standardOutput)")
        }

        @Test("libmailslot.a links into a program that then needs no libmailslot.so, and works in threads and after fork")
        func staticLibrary() async throws {
            let program = try await CLibrary.program("native_api", package: "mailslot-static")
            let linked = try await CLibrary.shell("ldd \(program)")
            #expect(!linked.stdout.contains("libmailslot"), "\(linked.stdout)")
            #expect(!linked.stdout.contains("swift"), "\(linked.stdout)")
            for name in ["threads_read_and_write", "fork_child_uses_library", "stale_and_foreign_handles"] {
                let result = try await CLibrary.shell("\(program) \(name) s\(getpid())", environment: ["LD_LIBRARY_PATH": "/nonexistent"], timeout: 60)
                #expect(result.code == 0, "\(name):\n\(result.stdout)\(result.stderr)")
            }
        }

        @Test("the installed library needs no Swift toolchain: a C pair runs with it hidden in a mount namespace",
              .enabled(if: getuid() == 0, "hiding the toolchain needs a mount namespace (root)"))
        func runsWithToolchainHidden() async throws {
            let library = CLibrary.prefix + "/lib/libmailslot.so"
            let linked = try await CLibrary.shell("ldd \(library)")
            #expect(linked.code == 0)
            #expect(!linked.stdout.contains("swift"), "libmailslot needs the toolchain's libraries:\n\(linked.stdout)")
            let toolchain = try await CLibrary.shell("dirname \"$(dirname \"$(dirname \"$(readlink -f \"$(command -v swift)\")\")\")\"").stdout
                .trimmingCharacters
            #expect(toolchain.hasPrefix("/") && toolchain != "/")
            let slot = name("hidden")
            let reader = try await CLibrary.program("ms_reader")
            let sender = try await CLibrary.program("win32_send")
            let linkedIn = try await CLibrary.program("native_api", package: "mailslot-static")
            let script = """
                mount -t tmpfs none '\(toolchain)' || exit 90
                [ -e '\(toolchain)/usr/bin/swift' ] && exit 91
                '\(reader)' '\(slot)' 2 > /tmp/hidden-reader-$$ &
                sleep 0.3
                '\(sender)' '\(slot)' 'one' 'two' || exit 92
                wait $! || exit 93
                cat /tmp/hidden-reader-$$; rm -f /tmp/hidden-reader-$$
                '\(linkedIn)' poll_descriptor h$$ || exit 94
                """
            let file = temporaryFile("hidden.sh", script)
            defer { unlink(file) }
            let result = try await CLibrary.shell("unshare -m --propagation private /bin/sh \(file)", timeout: 30)
            #expect(result.code == 0, "\(result.stdout)\(result.stderr)")
            #expect(result.stdout.contains("Contents of the mailslot: one"), "\(result.stdout)")
            #expect(result.stdout.contains("Contents of the mailslot: two"), "\(result.stdout)")
        }
    }
}

extension String {
    var trimmingCharacters: String {
        var text = Substring(self)
        while let last = text.last, last.isWhitespace { text.removeLast() }
        while let first = text.first, first.isWhitespace { text.removeFirst() }
        return String(text)
    }
}
