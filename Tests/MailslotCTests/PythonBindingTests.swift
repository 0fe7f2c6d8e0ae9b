import Glibc
import MailslotTestSupport
import Testing

extension CLibraryTests {
    /// `bindings/python/mailslot.py` in a real Python process: it reads (in `select.poll` on the
    /// slot's descriptor) what a Swift writer and a C client send, and writes to a Swift server.
    @Suite("Python binding", .timeLimit(.minutes(2)))
    struct PythonBindingTests {
        @Test("Python reads a Swift writer's and a C client's messages through poll, and writes to a Swift server",
              .enabled(if: access("/usr/bin/python3", X_OK) == 0, "python3 is not installed"))
        func pythonBetweenSwiftAndC() async throws {
            let slot = "\\\\.\\mailslot\\" + uniqueMailslotPath("py")
            let target = "\\\\.\\mailslot\\" + uniqueMailslotPath("pytarget")
            // Built before the server starts: a compile under load once outlasted its timeout.
            let sender = try await CLibrary.program("win32_send")
            let server = try ChildProcess(MailslotBinary.path, ["serve", target, "--count", "1", "--timeout", "20000"])
            #expect((try await CLibrary.waiting { server.waitForStderrLine(startingWith: "ready") }) != nil)
            let peer = try CLibrary.spawn("/usr/bin/python3", [CLibrary.packageRoot + "/Tests/MailslotCTests/Programs/python_peer.py", slot, target, "3"],
                environment: ["PYTHONPATH": CLibrary.packageRoot + "/bindings/python"])
            let ready = (try await CLibrary.waiting { peer.waitForStdoutLine(startingWith: "ready") })
            #expect(ready != nil, "\(peer.standardError)")
            let swift = try await TestThread.await { try MailslotBinary.run(["write", slot, "from swift"]) }
            #expect(swift.code == 0, "\(swift.stderr)")
            let c = try await CLibrary.shell("\(sender) '\(slot)' 'from c' 'again from c'")
            #expect(c.code == 0, "\(c.stdout)")
            #expect((try await CLibrary.waiting { peer.waitForExit(timeout: 15) }) == 0, "\(peer.standardOutput)\(peer.standardError)")
            #expect(peer.standardOutput.contains("got from swift\ngot from c\ngot again from c\ndone\n"), "\(peer.standardOutput)")
            #expect((try await CLibrary.waiting { server.waitForExit(timeout: 10) }) == 0)
            #expect(server.standardOutput == "from python\n")
        }
    }
}
