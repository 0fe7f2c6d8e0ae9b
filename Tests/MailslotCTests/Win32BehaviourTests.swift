import Glibc
import MailslotTestSupport
import Testing

extension CLibraryTests {
    /// Each Win32 behaviour a ported program relies on, as a C program built against the installed
    /// `<windows.h>` forwarders sees it (`Programs/win32_behaviours.c`, one case per run). The case
    /// names are the behaviours; docs/win32-mapping.md lists the same.
    @Suite("Win32 API from C: each behaviour as Windows has it", .timeLimit(.minutes(3)))
    struct Win32BehaviourTests {
        static let cases = [
            "zero_length_message_counts", "empty_read_waits_then_sem_timeout", "short_buffer_keeps_message",
            "server_cannot_write_client_cannot_read", "settings_read_back_exactly", "second_create_already_exists",
            "close_drops_unread_messages", "share_modes_not_enforced", "fifo_across_writers", "overlapped_completes_and_signals",
            "last_error_per_thread", "wait_on_mailslot_handle", "wait_for_multiple_objects", "named_event_already_exists",
            "open_missing_file_not_found", "bad_names", "invalid_handles", "null_pointers_where_allowed", "oversized_message_refused",
            "full_queue_not_enough_quota", "burst_queues_while_reader_idle",
        ]

        @Test("a Win32 behaviour holds", arguments: cases)
        func behaviour(_ name: String) async throws {
            let program = try await CLibrary.program("win32_behaviours")
            let result = try await CLibrary.shell("\(program) \(name) w\(getpid())", timeout: 30)
            #expect(result.code == 0, "\(name):\n\(result.stdout)\(result.stderr)")
            #expect(result.stdout.hasSuffix("PASS\n"))
            #expect(result.stderr.isEmpty, "the library printed: \(result.stderr)")
        }

        @Test("the case list here is the program's: no behaviour goes untested")
        func everyCaseListed() async throws {
            let program = try await CLibrary.program("win32_behaviours")
            let listed = try await CLibrary.shell(program).stdout.split(separator: "\n").map(String.init)
            #expect(listed == Self.cases)
        }
    }
}
