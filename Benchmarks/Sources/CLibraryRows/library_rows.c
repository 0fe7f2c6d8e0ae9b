// Scenario a's C library rows: see CLibraryRows.h.
#include "CLibraryRows.h"

#include <mailslot/mailslot.h>
#include <mailslot/win32.h>
#include <poll.h>

enum { MAX_MESSAGE = 65536, READ_WAIT_MS = 100 };

static int writers_done(int done_fd) {
    struct pollfd entry = {.fd = done_fd, .events = POLLIN};
    return poll(&entry, 1, 0) > 0;
}

int cl_reader_create(const char *name, int win32, cl_reader *reader) {
    if (win32) {
        HANDLE slot = CreateMailslotA(name, 0, READ_WAIT_MS, NULL);
        if (slot == INVALID_HANDLE_VALUE) return (int)GetLastError();
        *reader = slot;
        return 0;
    }
    struct msl_slot_options options;
    msl_slot_options_init(&options);
    options.read_timeout_ms = READ_WAIT_MS;
    return msl_slot_create((msl_slot **)reader, name, &options);
}

// The loop a C reader writes: one call per message; a timed-out read checks whether the writers
// are done, and once they are, the queue is read empty (with timeout 0) before returning.
int cl_reader_receive(cl_reader reader, int win32, int done_fd, cb_tally *tally) {
    static char buffer[MAX_MESSAGE];
    int draining = 0;
    for (;;) {
        if (win32) {
            DWORD got = 0;
            if (ReadFile(reader, buffer, sizeof buffer, &got, NULL)) {
                cb_tally_record(tally, buffer, got, cb_now_ns());
                continue;
            }
            if (GetLastError() != ERROR_SEM_TIMEOUT) return (int)GetLastError();
        } else {
            size_t got = sizeof buffer;
            int code = msl_recv((msl_slot *)reader, buffer, &got);
            if (code == MSL_OK) {
                cb_tally_record(tally, buffer, got, cb_now_ns());
                continue;
            }
            if (code != MSL_ETIMEDOUT) return code;
        }
        if (draining) return 0;
        if (writers_done(done_fd)) {
            draining = 1;
            if (win32) SetMailslotInfo(reader, 0); else msl_slot_set_timeout((msl_slot *)reader, 0);
        }
    }
}

void cl_reader_close(cl_reader reader, int win32) {
    if (win32) CloseHandle(reader); else msl_slot_close((msl_slot *)reader);
}

// The loop a C writer writes: stamp, one call per message.
int cl_writer_send(const char *name, int win32, uint32_t writer, int payload, double seconds, double rate, int blocking,
                   cb_send_stats *stats) {
    static char buffer[MAX_MESSAGE];
    HANDLE file = INVALID_HANDLE_VALUE;
    msl_writer *native = NULL;
    if (win32) {
        file = CreateFileA(name, GENERIC_WRITE, FILE_SHARE_READ, NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
        if (file == INVALID_HANDLE_VALUE) return (int)GetLastError();
    } else {
        int code = msl_writer_open(&native, name);
        if (code != MSL_OK) return code;
    }
    memset(buffer, 0x5A, (size_t)payload);
    cb_pacer pacer = {.start_ns = cb_now_ns(), .rate = rate};
    stats->start_ns = pacer.start_ns;
    uint64_t end = pacer.start_ns + (uint64_t)(seconds * 1e9);
    while (cb_now_ns() < end) {
        int due = cb_pacer_due(&pacer, stats->attempted, 1);
        if (due == 0) continue;
        cb_stamp(buffer, writer, (uint32_t)stats->attempted, cb_now_ns());
        stats->attempted++;
        for (;;) {
            int sent, full;
            if (win32) {
                sent = WriteFile(file, buffer, (DWORD)payload, NULL, NULL);
                full = !sent && GetLastError() == ERROR_NOT_ENOUGH_QUOTA;
            } else {
                int code = msl_send_timeout(native, buffer, (size_t)payload, blocking ? MSL_WAIT_FOREVER : 0);
                sent = code == MSL_OK;
                full = code == MSL_EQUOTA;
            }
            if (sent) { stats->sent++; break; }
            if (!full) return win32 ? (int)GetLastError() : MSL_ESYS;
            if (!blocking) { stats->refused++; break; }
        }
    }
    stats->end_ns = cb_now_ns();
    if (win32) CloseHandle(file); else msl_writer_close(native);
    return 0;
}
