import Glibc
import MailslotTestSupport
import Testing

extension CLibraryTests {
    /// The native API (`<mailslot/mailslot.h>`) from C programs built against the installed header:
    /// `Programs/native_api.c`, one case per run.
    @Suite("Native C API", .timeLimit(.minutes(3)))
    struct NativeAPITests {
        static let cases = [
            "poll_descriptor", "short_buffer_reports_size", "batch_write_in_order", "stale_and_foreign_handles",
            "close_wakes_waiting_reader", "threads_read_and_write", "fork_child_uses_library", "signals_left_alone",
            "handle_table_has_no_small_cap", "access_list_admits_only_listed",
        ]

        @Test("a native API behaviour holds", arguments: cases)
        func behaviour(_ name: String) async throws {
            let program = try await CLibrary.program("native_api", package: "mailslot")
            let result = try await CLibrary.shell("\(program) \(name) n\(getpid())", timeout: 60)
            #expect(result.code == 0, "\(name):\n\(result.stdout)\(result.stderr)")
            #expect(result.stdout.hasSuffix("PASS\n"))
            #expect(result.stderr.isEmpty, "the library printed: \(result.stderr)")
        }

        @Test("the case list here is the program's")
        func everyCaseListed() async throws {
            let program = try await CLibrary.program("native_api", package: "mailslot")
            #expect(try await CLibrary.shell(program).stdout.split(separator: "\n").map(String.init) == Self.cases)
        }
    }
}
