/* Win32 mailslot behaviours, one per case: `win32_behaviours CASE NAME-PREFIX` prints "PASS" and
 * exits 0, or prints what differed and exits 1. Each case is what Windows documents (or does)
 * for the call; docs/win32-mapping.md lists them. Only Win32 calls: it builds as it would on
 * Windows. */
#include <windows.h>
#include <stdio.h>
#include <string.h>

static char name[200];
static int failures;

#define CHECK(cond, ...) do { if (!(cond)) { printf("FAIL line %d: ", __LINE__); printf(__VA_ARGS__); \
    printf(" (GetLastError %lu)\n", (unsigned long)GetLastError()); failures++; } } while (0)

static HANDLE make(DWORD max, DWORD timeout) {
    HANDLE slot = CreateMailslot(name, max, timeout, NULL);
    CHECK(slot != INVALID_HANDLE_VALUE, "CreateMailslot(%s)", name);
    return slot;
}

static HANDLE open_writer(void) {
    HANDLE file = CreateFile(name, GENERIC_WRITE, FILE_SHARE_READ, NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
    CHECK(file != INVALID_HANDLE_VALUE, "CreateFile(%s)", name);
    return file;
}

static BOOL put(HANDLE file, const char *text, DWORD n) {
    DWORD written = 12345;
    BOOL ok = WriteFile(file, text, n, &written, NULL);
    if (ok) CHECK(written == n, "wrote %lu of %lu", (unsigned long)written, (unsigned long)n);
    return ok;
}

static void zero_length_message_counts(void) {
    HANDLE slot = make(0, 0), file = open_writer();
    DWORD next = 7, count = 7, got = 7;
    char buffer[8];
    CHECK(put(file, "", 0), "WriteFile of 0 bytes");
    CHECK(GetMailslotInfo(slot, NULL, &next, &count, NULL), "GetMailslotInfo");
    CHECK(next == 0 && count == 1, "next %lu count %lu, want 0 and 1", (unsigned long)next, (unsigned long)count);
    CHECK(ReadFile(slot, buffer, sizeof buffer, &got, NULL) && got == 0, "ReadFile of the empty message: got %lu", (unsigned long)got);
    CHECK(GetMailslotInfo(slot, NULL, &next, &count, NULL) && next == MAILSLOT_NO_MESSAGE && count == 0,
          "after: next %lu count %lu", (unsigned long)next, (unsigned long)count);
}

static void empty_read_waits_then_sem_timeout(void) {
    HANDLE slot = make(0, 150);
    char buffer[8];
    DWORD got = 99, start = GetTickCount();
    CHECK(!ReadFile(slot, buffer, sizeof buffer, &got, NULL), "ReadFile of an empty slot succeeded");
    CHECK(GetLastError() == ERROR_SEM_TIMEOUT, "want ERROR_SEM_TIMEOUT");
    CHECK(GetTickCount() - start >= 140, "returned after %lu ms, before the 150 ms timeout", (unsigned long)(GetTickCount() - start));
    CHECK(got == 0, "*lpNumberOfBytesRead %lu, want 0", (unsigned long)got);
    start = GetTickCount();
    CHECK(!ReadFile(slot, buffer, 0, &got, NULL) && GetLastError() == ERROR_SEM_TIMEOUT, "a zero-byte read of an empty slot");
    CHECK(GetTickCount() - start >= 140, "the zero-byte read did not wait");
    CHECK(SetMailslotInfo(slot, 0), "SetMailslotInfo 0");
    start = GetTickCount();
    CHECK(!ReadFile(slot, buffer, sizeof buffer, &got, NULL) && GetLastError() == ERROR_SEM_TIMEOUT, "a poll (timeout 0)");
    CHECK(GetTickCount() - start < 100, "a poll waited %lu ms", (unsigned long)(GetTickCount() - start));
}

static void short_buffer_keeps_message(void) {
    HANDLE slot = make(0, 0), file = open_writer();
    char buffer[64];
    DWORD got = 99, next = 0, count = 0;
    put(file, "0123456789", 10);
    CHECK(!ReadFile(slot, buffer, 4, &got, NULL), "ReadFile into 4 bytes succeeded");
    CHECK(GetLastError() == ERROR_INSUFFICIENT_BUFFER, "want ERROR_INSUFFICIENT_BUFFER");
    CHECK(got == 0, "got %lu", (unsigned long)got);
    CHECK(GetMailslotInfo(slot, NULL, &next, &count, NULL) && next == 10 && count == 1, "the message did not stay");
    CHECK(ReadFile(slot, buffer, sizeof buffer, &got, NULL) && got == 10 && memcmp(buffer, "0123456789", 10) == 0, "the full read");
}

static void server_cannot_write_client_cannot_read(void) {
    HANDLE slot = make(0, 0), file = open_writer();
    DWORD n = 5;
    char buffer[8];
    CHECK(!WriteFile(slot, "x", 1, &n, NULL) && GetLastError() == ERROR_ACCESS_DENIED, "WriteFile on the server handle");
    CHECK(n == 0, "*lpNumberOfBytesWritten %lu", (unsigned long)n);
    CHECK(!ReadFile(file, buffer, sizeof buffer, &n, NULL) && GetLastError() == ERROR_ACCESS_DENIED, "ReadFile on a client handle");
}

static void settings_read_back_exactly(void) {
    HANDLE slot = make((DWORD)-1, (DWORD)-1);
    DWORD max = 0, timeout = 0;
    CHECK(GetMailslotInfo(slot, &max, NULL, NULL, &timeout), "GetMailslotInfo");
    CHECK(max == ~0U && timeout == 0xFFFFFFFF, "max %lx timeout %lx, want ffffffff both", (unsigned long)max, (unsigned long)timeout);
    CloseHandle(slot);
    slot = make(424, 1234);
    CHECK(GetMailslotInfo(slot, &max, NULL, NULL, &timeout) && max == 424 && timeout == 1234, "max %lu timeout %lu", (unsigned long)max, (unsigned long)timeout);
    CHECK(SetMailslotInfo(slot, 0xFFFFFFFE) && GetMailslotInfo(slot, NULL, NULL, NULL, &timeout) && timeout == 0xFFFFFFFE, "timeout %lx", (unsigned long)timeout);
    CHECK(SetMailslotInfo(slot, MAILSLOT_WAIT_FOREVER) && GetMailslotInfo(slot, NULL, NULL, NULL, &timeout) && timeout == MAILSLOT_WAIT_FOREVER, "forever");
    CHECK(GetMailslotInfo(slot, NULL, NULL, NULL, NULL), "all-NULL GetMailslotInfo");
}

static void second_create_already_exists(void) {
    HANDLE first = make(0, 0);
    HANDLE second = CreateMailslot(name, 0, 0, NULL);
    CHECK(second == INVALID_HANDLE_VALUE && GetLastError() == ERROR_ALREADY_EXISTS, "second create");
    CHECK(CloseHandle(first), "CloseHandle");
    second = CreateMailslot(name, 0, 0, NULL);
    CHECK(second != INVALID_HANDLE_VALUE, "the name was not free at once after CloseHandle");
}

static void close_drops_unread_messages(void) {
    HANDLE slot = make(0, 0), file = open_writer();
    DWORD count = 9;
    put(file, "lost", 4);
    CloseHandle(slot);
    CHECK(!WriteFile(file, "x", 1, &count, NULL) && GetLastError() == ERROR_BROKEN_PIPE, "a write after the reader closed");
    slot = make(0, 0);
    CHECK(GetMailslotInfo(slot, NULL, NULL, &count, NULL) && count == 0, "%lu old messages in the new slot", (unsigned long)count);
}

static void share_modes_not_enforced(void) {
    HANDLE slot = make(0, 0);
    HANDLE a = CreateFile(name, GENERIC_WRITE, 0, NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
    HANDLE b = CreateFile(name, GENERIC_WRITE, 0, NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
    HANDLE c = CreateFile(name, GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_EXISTING, 0, NULL);
    DWORD count = 0;
    CHECK(a != INVALID_HANDLE_VALUE && b != INVALID_HANDLE_VALUE && c != INVALID_HANDLE_VALUE, "share mode 0 twice");
    CHECK(put(a, "a", 1) && put(b, "b", 1) && put(c, "c", 1), "writes");
    CHECK(GetMailslotInfo(slot, NULL, NULL, &count, NULL) && count == 3, "count %lu", (unsigned long)count);
}

static void fifo_across_writers(void) {
    HANDLE slot = make(0, 0), a = open_writer(), b = open_writer();
    char buffer[8];
    DWORD got;
    const char *order = "abab";
    for (int i = 0; i < 4; i++) put(order[i] == 'a' ? a : b, &order[i], 1);
    for (int i = 0; i < 4; i++) {
        CHECK(ReadFile(slot, buffer, sizeof buffer, &got, NULL) && got == 1 && buffer[0] == order[i], "message %d", i);
    }
}

static void overlapped_completes_and_signals(void) {
    HANDLE slot = make(0, 0), file = open_writer();
    HANDLE done = CreateEvent(NULL, TRUE, FALSE, NULL);
    OVERLAPPED ov;
    char buffer[16];
    DWORD got = 0;
    memset(&ov, 0, sizeof ov);
    ov.hEvent = done;
    CHECK(WriteFile(file, "hello", 5, &got, &ov) && got == 5, "overlapped WriteFile");
    CHECK(ov.InternalHigh == 5 && ov.Internal == 0, "write OVERLAPPED %lu/%lu", (unsigned long)ov.Internal, (unsigned long)ov.InternalHigh);
    CHECK(WaitForSingleObject(done, 0) == WAIT_OBJECT_0, "the write did not signal hEvent");
    ResetEvent(done);
    CHECK(WaitForSingleObject(done, 0) == WAIT_TIMEOUT, "ResetEvent");
    memset(&ov, 0, sizeof ov);
    ov.hEvent = done;
    CHECK(ReadFile(slot, buffer, sizeof buffer, &got, &ov) && got == 5, "overlapped ReadFile");
    CHECK(ov.InternalHigh == 5 && ov.Internal == 0, "read OVERLAPPED");
    CHECK(WaitForSingleObject(done, 0) == WAIT_OBJECT_0, "the read did not signal hEvent");
}

static DWORD thread_error;
static void *other_thread(void *unused) {
    (void)unused;
    SetLastError(7);
    thread_error = GetLastError();
    return NULL;
}
#include <pthread.h>  /* the one line Windows would not have: a thread to show last errors are per thread */
static void last_error_per_thread(void) {
    pthread_t thread;
    SetLastError(42);
    pthread_create(&thread, NULL, other_thread, NULL);
    pthread_join(thread, NULL);
    CHECK(GetLastError() == 42 && thread_error == 7, "main %lu, thread %lu", (unsigned long)GetLastError(), (unsigned long)thread_error);
}

static void wait_on_mailslot_handle(void) {
    HANDLE slot = make(0, 0), file = open_writer();
    DWORD count = 0, start = GetTickCount();
    CHECK(WaitForSingleObject(slot, 100) == WAIT_TIMEOUT, "an empty slot is not signalled");
    CHECK(GetTickCount() - start >= 90, "the wait took %lu ms of 100", (unsigned long)(GetTickCount() - start));
    put(file, "x", 1);
    CHECK(WaitForSingleObject(slot, 1000) == WAIT_OBJECT_0, "a slot with a message is signalled");
    CHECK(GetMailslotInfo(slot, NULL, NULL, &count, NULL) && count == 1, "the wait took the message");
}

static void wait_for_multiple_objects(void) {
    HANDLE slot = make(0, 0), file = open_writer();
    HANDLE automatic = CreateEvent(NULL, FALSE, FALSE, NULL), manual = CreateEvent(NULL, TRUE, TRUE, NULL);
    HANDLE both[2] = {automatic, slot};
    CHECK(WaitForMultipleObjects(2, both, FALSE, 50) == WAIT_TIMEOUT, "nothing signalled");
    put(file, "x", 1);
    CHECK(WaitForMultipleObjects(2, both, FALSE, 1000) == WAIT_OBJECT_0 + 1, "the slot is object 1");
    SetEvent(automatic);
    CHECK(WaitForMultipleObjects(2, both, FALSE, 0) == WAIT_OBJECT_0, "the event is object 0");
    CHECK(WaitForSingleObject(automatic, 0) == WAIT_TIMEOUT, "an auto-reset event stays set after a wait");
    CHECK(WaitForSingleObject(manual, 0) == WAIT_OBJECT_0 && WaitForSingleObject(manual, 0) == WAIT_OBJECT_0, "a manual event cleared");
    HANDLE all[2] = {manual, slot};
    CHECK(WaitForMultipleObjects(2, all, TRUE, 0) == WAIT_OBJECT_0, "wait-all with both signalled");
    HANDLE none[2] = {manual, automatic};
    CHECK(WaitForMultipleObjects(2, none, TRUE, 50) == WAIT_TIMEOUT, "wait-all with one signalled");
    CHECK(WaitForMultipleObjects(0, none, FALSE, 0) == WAIT_FAILED && GetLastError() == ERROR_INVALID_PARAMETER, "nCount 0");
    CHECK(WaitForSingleObject(file, 0) == WAIT_FAILED && GetLastError() == ERROR_INVALID_HANDLE, "a client handle is not waitable");
}

static void named_event_already_exists(void) {
    HANDLE a = CreateEvent(NULL, TRUE, FALSE, name);
    CHECK(a != NULL && GetLastError() == 0, "first create");
    HANDLE b = CreateEvent(NULL, TRUE, FALSE, name);
    CHECK(b != NULL && b != a && GetLastError() == ERROR_ALREADY_EXISTS, "second create of the name");
    SetEvent(a);
    CHECK(WaitForSingleObject(b, 0) == WAIT_OBJECT_0, "the two handles are not one event");
}

static void open_missing_file_not_found(void) {
    HANDLE file = CreateFile(name, GENERIC_WRITE, FILE_SHARE_READ, NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
    CHECK(file == INVALID_HANDLE_VALUE && GetLastError() == ERROR_FILE_NOT_FOUND, "CreateFile with no server");
    file = CreateFile("/etc/passwd", GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0, NULL);
    CHECK(file == INVALID_HANDLE_VALUE && GetLastError() == ERROR_FILE_NOT_FOUND, "a path that is no mailslot");
}

static void bad_names(void) {
    CHECK(CreateMailslot(NULL, 0, 0, NULL) == INVALID_HANDLE_VALUE && GetLastError() == ERROR_PATH_NOT_FOUND, "NULL name");
    CHECK(CreateMailslot("\\\\.\\pipe\\x", 0, 0, NULL) == INVALID_HANDLE_VALUE && GetLastError() == ERROR_INVALID_NAME, "a pipe name");
    CHECK(CreateMailslot("\\\\HOST\\mailslot\\x", 0, 0, NULL) == INVALID_HANDLE_VALUE && GetLastError() == ERROR_INVALID_NAME, "a remote name");
    CHECK(CreateMailslot("\\\\.\\MAILSLOT\\Global\\Agent_1", 0, 0, NULL) != INVALID_HANDLE_VALUE, "a path and upper case");
    HANDLE file = CreateFile("\\\\.\\mailslot\\global\\agent_1", GENERIC_WRITE, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0, NULL);
    CHECK(file != INVALID_HANDLE_VALUE, "names are case-insensitive");
}

static void invalid_handles(void) {
    HANDLE slot = make(0, 0), event = CreateEvent(NULL, FALSE, FALSE, NULL);
    char buffer[8];
    int on_stack = 0;
    DWORD got = 77;
    HANDLE bad[] = {NULL, INVALID_HANDLE_VALUE, (HANDLE)&on_stack, (HANDLE)(ULONG_PTR)0x4D53000001000001ULL, event};
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        got = 77;
        CHECK(!ReadFile(bad[i], buffer, sizeof buffer, &got, NULL) && GetLastError() == ERROR_INVALID_HANDLE, "ReadFile bad[%u]", i);
        CHECK(got == 0, "bad[%u]: *lpNumberOfBytesRead not zeroed", i);
        CHECK(!GetMailslotInfo(bad[i], NULL, NULL, NULL, NULL) && GetLastError() == ERROR_INVALID_HANDLE, "GetMailslotInfo bad[%u]", i);
        CHECK(!SetMailslotInfo(bad[i], 0) && GetLastError() == ERROR_INVALID_HANDLE, "SetMailslotInfo bad[%u]", i);
        CHECK(!WriteFile(bad[i], "x", 1, &got, NULL) && GetLastError() == ERROR_INVALID_HANDLE, "WriteFile bad[%u]", i);
    }
    CHECK(CloseHandle(slot), "CloseHandle");
    CHECK(!CloseHandle(slot) && GetLastError() == ERROR_INVALID_HANDLE, "a second CloseHandle");
    CHECK(!ReadFile(slot, buffer, sizeof buffer, &got, NULL) && GetLastError() == ERROR_INVALID_HANDLE, "ReadFile on a closed handle");
    HANDLE reuse = make(0, 0);
    CHECK(reuse != slot, "a new handle equals a closed one");
    CHECK(!GetMailslotInfo(slot, NULL, NULL, NULL, NULL) && GetLastError() == ERROR_INVALID_HANDLE, "the stale handle reaches the new slot");
    CHECK(!SetEvent(reuse) && GetLastError() == ERROR_INVALID_HANDLE, "SetEvent on a mailslot");
}

static void null_pointers_where_allowed(void) {
    HANDLE slot = make(0, 0), file = open_writer();
    char buffer[8];
    CHECK(WriteFile(file, "abc", 3, NULL, NULL), "WriteFile with no byte count");
    CHECK(WriteFile(file, NULL, 0, NULL, NULL), "WriteFile of NULL, 0 bytes");
    CHECK(ReadFile(slot, buffer, sizeof buffer, NULL, NULL), "ReadFile with no byte count");
    CHECK(!ReadFile(slot, NULL, 8, NULL, NULL) && GetLastError() == ERROR_INVALID_PARAMETER, "ReadFile into NULL");
    CHECK(!WriteFile(file, NULL, 8, NULL, NULL) && GetLastError() == ERROR_INVALID_PARAMETER, "WriteFile from NULL");
    CHECK(lstrlen(NULL) == 0 && lstrlen("abc") == 3, "lstrlen");
    CHECK(GlobalFree(NULL) == NULL, "GlobalFree(NULL)");
}

static void oversized_message_refused(void) {
    HANDLE slot = make(16, 0), file = open_writer();
    char big[70000];
    DWORD count = 0;
    memset(big, 'x', sizeof big);
    CHECK(!WriteFile(file, big, 17, NULL, NULL) && GetLastError() == ERROR_INVALID_PARAMETER, "17 bytes to a 16-byte slot");
    CHECK(WriteFile(file, big, 16, NULL, NULL), "16 bytes");
    CHECK(GetMailslotInfo(slot, NULL, NULL, &count, NULL) && count == 1, "count %lu", (unsigned long)count);
    HANDLE domain = CreateFile("\\\\*\\mailslot\\nobody_here", GENERIC_WRITE, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0, NULL);
    CHECK(domain != INVALID_HANDLE_VALUE, "a domain name opens without a receiver");
    CHECK(!WriteFile(domain, big, 425, NULL, NULL) && GetLastError() == ERROR_BAD_NETPATH, "425 bytes to a domain");
}

static void full_queue_not_enough_quota(void) {
    HANDLE slot = make(0, 0), file = open_writer();
    static char big[60000];
    DWORD count = 0, sent = 0;
    memset(big, 'q', sizeof big);
    while (sent < 100000 && WriteFile(file, big, sizeof big, NULL, NULL)) sent++;
    CHECK(GetLastError() == ERROR_NOT_ENOUGH_QUOTA, "after %lu messages", (unsigned long)sent);
    CHECK(sent > 10, "refused after %lu messages: the queue is the kernel's alone", (unsigned long)sent);
    CHECK(GetMailslotInfo(slot, NULL, NULL, &count, NULL) && count > 0 && count <= sent, "%lu sent, %lu counted", (unsigned long)sent, (unsigned long)count);
    SetMailslotInfo(slot, 200);
    DWORD got = 0;
    while (ReadFile(slot, big, sizeof big, NULL, NULL)) got++;
    CHECK(got == sent, "%lu sent, %lu read: none may be lost", (unsigned long)sent, (unsigned long)got);
}

/* A reader that is not reading (as Microsoft's sample polls every few seconds) still queues
 * a burst far beyond the kernel's 10-datagram socket queue: the library moves it on. */
static void burst_queues_while_reader_idle(void) {
    HANDLE slot = make(0, 0), file = open_writer();
    DWORD count = 0, got = 0, i;
    char text[16], buffer[16];
    for (i = 0; i < 500; i++) {
        int n = snprintf(text, sizeof text, "m%lu", (unsigned long)i);
        if (!WriteFile(file, text, (DWORD)n, NULL, NULL)) break;
    }
    CHECK(i == 500, "WriteFile %lu failed", (unsigned long)i);
    Sleep(100);
    CHECK(GetMailslotInfo(slot, NULL, NULL, &count, NULL) && count == 500, "%lu queued of 500", (unsigned long)count);
    for (i = 0; i < 500; i++) {
        int n = snprintf(text, sizeof text, "m%lu", (unsigned long)i);
        if (!ReadFile(slot, buffer, sizeof buffer, &got, NULL) || got != (DWORD)n || memcmp(buffer, text, got) != 0) break;
    }
    CHECK(i == 500, "message %lu out of order or missing", (unsigned long)i);
}

static const struct { const char *name; void (*run)(void); } cases[] = {
    {"zero_length_message_counts", zero_length_message_counts},
    {"empty_read_waits_then_sem_timeout", empty_read_waits_then_sem_timeout},
    {"short_buffer_keeps_message", short_buffer_keeps_message},
    {"server_cannot_write_client_cannot_read", server_cannot_write_client_cannot_read},
    {"settings_read_back_exactly", settings_read_back_exactly},
    {"second_create_already_exists", second_create_already_exists},
    {"close_drops_unread_messages", close_drops_unread_messages},
    {"share_modes_not_enforced", share_modes_not_enforced},
    {"fifo_across_writers", fifo_across_writers},
    {"overlapped_completes_and_signals", overlapped_completes_and_signals},
    {"last_error_per_thread", last_error_per_thread},
    {"wait_on_mailslot_handle", wait_on_mailslot_handle},
    {"wait_for_multiple_objects", wait_for_multiple_objects},
    {"named_event_already_exists", named_event_already_exists},
    {"open_missing_file_not_found", open_missing_file_not_found},
    {"bad_names", bad_names},
    {"invalid_handles", invalid_handles},
    {"null_pointers_where_allowed", null_pointers_where_allowed},
    {"oversized_message_refused", oversized_message_refused},
    {"full_queue_not_enough_quota", full_queue_not_enough_quota},
    {"burst_queues_while_reader_idle", burst_queues_while_reader_idle},
};

int main(int argc, char *argv[]) {
    if (argc < 3) {
        for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) printf("%s\n", cases[i].name);
        return 2;
    }
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (strcmp(argv[1], cases[i].name) != 0) continue;
        snprintf(name, sizeof name, "\\\\.\\mailslot\\%s_%s", argv[2], cases[i].name);
        cases[i].run();
        printf(failures ? "FAILED\n" : "PASS\n");
        return failures ? 1 : 0;
    }
    printf("no case %s\n", argv[1]);
    return 2;
}
