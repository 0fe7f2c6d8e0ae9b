import Glibc
@testable import MailslotEngine
import MailslotTestSupport
import Testing

/// `Descriptor`, the owner of an open descriptor: it closes exactly once, and a second close
/// does not compile (the compiler is asked, on real source).
@Suite("Descriptors close once", .timeLimit(.minutes(2)))
struct DescriptorTests {
    static func isOpen(_ fd: Int32) -> Bool { fcntl(fd, F_GETFD) != -1 }

    static func pipeEnds() -> (Int32, Int32) {
        var fds: [Int32] = [-1, -1]
        precondition(pipe(&fds) == 0)
        return (fds[0], fds[1])
    }

    @Test("close() closes it; going out of scope closes it; release() hands it on open")
    func closesOnce() {
        let (first, second) = Self.pipeEnds()
        let closed = Descriptor(owning: first)
        closed.close()
        #expect(!Self.isOpen(first))
        do { _ = Descriptor(owning: second) }
        #expect(!Self.isOpen(second))
        let (kept, other) = Self.pipeEnds()
        let handedOn = Descriptor(owning: kept).release()
        #expect(handedOn == kept && Self.isOpen(kept))
        Glibc.close(kept)
        Glibc.close(other)
    }

    /// Type-checks and move-checks `body` inside a function given a descriptor number `fd`,
    /// against the engine module as built beside this test bundle.
    static func compile(_ body: String) throws -> (code: Int32?, errors: String) {
        let text = temporaryFile("descriptor", "@testable import MailslotEngine\nfunc use(_ fd: Int32) {\n\(body)\n}\n")
        let source = text + ".swift"  // swiftc goes by the extension
        rename(text, source)
        defer { unlink(source) }
        let modules = MailslotBinary.sibling("Modules")
        let packageRoot = String(#filePath.split(separator: "/Tests/").first ?? "")
        let compiler = try ChildProcess(
            "/usr/bin/env", ["swiftc", "-emit-sil", "-o", "/dev/null", "-I", modules, "-I", packageRoot + "/CLibEv", source])
        let code = compiler.waitForExit(timeout: 90)
        return (code, compiler.standardError)
    }

    @Test("a second close of one descriptor is a compile error ('consumed more than once'); one close compiles")
    func doubleCloseDoesNotCompile() throws {
        let once = try Self.compile("    let descriptor = Descriptor(owning: fd)\n    descriptor.close()")
        #expect(once.code == 0, "\(once.errors)")
        let twice = try Self.compile("    let descriptor = Descriptor(owning: fd)\n    descriptor.close()\n    descriptor.close()")
        #expect(twice.code != 0 && twice.errors.contains("consumed more than once"), "\(twice.errors)")
        let closeThenUse = try Self.compile("    let descriptor = Descriptor(owning: fd)\n    descriptor.close()\n    _ = descriptor.rawValue")
        #expect(closeThenUse.code != 0 && closeThenUse.errors.contains("used after consume"), "\(closeThenUse.errors)")
    }
}
