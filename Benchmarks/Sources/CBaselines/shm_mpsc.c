// c-shm-mpsc: the like-for-like C baseline of the shared-memory rows. What a mailslot's
// shared-memory ring does, written as a C programmer would, so that "ours ÷ c-shm-mpsc" is our
// overhead (c-shm-ring, one producer, no checks, a spinning reader, stays as the bare ceiling):
//
//   - many writers (processes) claim space with a compare-and-swap on one claim counter, write
//     their record, then commit it by publishing its length with the COMMITTED bit;
//   - the reader takes committed records in order, checks each header (length within the
//     ring and the largest message; the pad marker), clears it for the next lap and frees
//     the space;
//   - an empty ring puts the reader to sleep on a futex; a writer that commits while it sleeps
//     wakes it (a Dekker pair: the reader says "sleeping" then looks again, the writer commits
//     then looks at "sleeping", both with a full fence between).
//
//   0          64          128        192        256                 4096
//   +----------+-----------+----------+----------+-------------------+------------------------
//   | claim    | head      | sleeping | wake     | capacity, max     | records: | state u32 |
//   | (u64)    | (u64)     | (u32)    | (u32)    | (u64, u64)        |   payload | pad to 8 | …
//   +----------+-----------+----------+----------+-------------------+------------------------
//   state: 0 = not written; COMMITTED | length; COMMITTED | PAD = skip to the ring's end.
#define _GNU_SOURCE
#include "CBaselines.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MPSC_CONTROL 4096
#define MPSC_COMMITTED 0x80000000u
#define MPSC_PAD 0x7FFFFFFFu

typedef struct {
    _Alignas(64) _Atomic uint64_t claim;
    _Alignas(64) _Atomic uint64_t head;
    _Alignas(64) _Atomic uint32_t sleeping;
    _Alignas(64) _Atomic uint32_t wake;
    _Alignas(64) uint64_t capacity;
    uint64_t max_length;
} mpsc_control;

static inline size_t footprint(size_t length) { return (4 + length + 7) & ~(size_t)7; }

static inline _Atomic uint32_t *state_at(unsigned char *records, uint64_t mask, uint64_t position) {
    return (_Atomic uint32_t *)(records + (position & mask));
}

static void futex_wait(_Atomic uint32_t *word, uint32_t expected, long nanoseconds) {
    struct timespec timeout = {0, nanoseconds};
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT, expected, &timeout, NULL, 0);
}

static void futex_wake(_Atomic uint32_t *word) { syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE, 1, NULL, NULL, 0); }

void *cb_mpsc_create(const char *name, size_t capacity, size_t max_length) {
    shm_unlink(name);
    int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return NULL;
    size_t bytes = MPSC_CONTROL + capacity;
    void *region = MAP_FAILED;
    if (ftruncate(fd, (off_t)bytes) == 0) region = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (region == MAP_FAILED) {
        shm_unlink(name);
        return NULL;
    }
    mpsc_control *control = region;
    control->capacity = capacity;
    control->max_length = max_length;
    return region;
}

void cb_mpsc_destroy(void *region, const char *name) {
    munmap(region, MPSC_CONTROL + ((mpsc_control *)region)->capacity);
    shm_unlink(name);
}

/// Takes every committed record from the head on; returns how many, or -1 on a record whose
/// header is impossible (counted, and the ring abandoned, as a corrupt ring is).
static int64_t take(mpsc_control *control, unsigned char *records, uint64_t *head, cb_tally *tally, uint64_t *corrupt) {
    uint64_t mask = control->capacity - 1;
    int64_t taken = 0;
    for (;;) {
        _Atomic uint32_t *state = state_at(records, mask, *head);
        uint32_t word = atomic_load_explicit(state, memory_order_acquire);
        if (!(word & MPSC_COMMITTED)) break;
        uint32_t length = word & ~MPSC_COMMITTED;
        uint64_t step;
        if (length == MPSC_PAD) {
            step = control->capacity - (*head & mask);
        } else {
            if (length > control->max_length || footprint(length) > control->capacity - (*head & mask)) {
                (*corrupt)++;
                return -1;
            }
            cb_tally_record(tally, (const unsigned char *)state + 4, length, cb_now_ns());
            step = footprint(length);
            taken++;
        }
        atomic_store_explicit(state, 0, memory_order_relaxed);
        *head += step;
        atomic_store_explicit(&control->head, *head, memory_order_release);
    }
    return taken;
}

int cb_mpsc_receive(void *region, int done_fd, cb_tally *tally, uint64_t *corrupt) {
    mpsc_control *control = region;
    unsigned char *records = (unsigned char *)region + MPSC_CONTROL;
    uint64_t head = atomic_load_explicit(&control->head, memory_order_relaxed);
    for (;;) {
        int64_t taken = take(control, records, &head, tally, corrupt);
        if (taken < 0) return -EBADMSG;
        if (taken > 0) continue;
        // Empty: say so, look once more, then sleep until a writer wakes us (or 10 ms pass, to
        // look at the done pipe).
        uint32_t seen = atomic_load_explicit(&control->wake, memory_order_acquire);
        atomic_store_explicit(&control->sleeping, 1, memory_order_relaxed);
        atomic_thread_fence(memory_order_seq_cst);
        uint32_t word = atomic_load_explicit(state_at(records, control->capacity - 1, head), memory_order_acquire);
        if (!(word & MPSC_COMMITTED)) futex_wait(&control->wake, seen, 10 * 1000 * 1000);
        atomic_store_explicit(&control->sleeping, 0, memory_order_relaxed);
        struct pollfd entry = {.fd = done_fd, .events = POLLIN};
        if (!(word & MPSC_COMMITTED) && poll(&entry, 1, 0) > 0) break;
    }
    // Every writer has exited: what each committed is in the ring.
    return take(control, records, &head, tally, corrupt) < 0 ? -EBADMSG : 0;
}

int cb_mpsc_send(const char *name, uint32_t writer, int payload, double seconds, double rate, int blocking, cb_send_stats *stats) {
    int fd = shm_open(name, O_RDWR | O_CLOEXEC, 0);
    if (fd < 0) return -errno;
    struct stat status;
    if (fstat(fd, &status) < 0) {
        close(fd);
        return -errno;
    }
    void *region = mmap(NULL, (size_t)status.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (region == MAP_FAILED) return -errno;
    mpsc_control *control = region;
    unsigned char *records = (unsigned char *)region + MPSC_CONTROL;
    uint64_t capacity = control->capacity, mask = capacity - 1;
    uint64_t need = footprint((size_t)payload);
    memset(stats, 0, sizeof *stats);
    cb_pacer pacer = {cb_now_ns(), rate};
    stats->start_ns = pacer.start_ns;
    uint64_t end = pacer.start_ns + (uint64_t)(seconds * 1e9);
    while (cb_now_ns() < end) {
        int due = cb_pacer_due(&pacer, stats->attempted, 32);
        if (due == 0) continue;
        uint64_t now = cb_now_ns();
        int sent = 0;
        for (int i = 0; i < due; i++) {
            // Claim: room from here to the end of the record (and a pad, at the ring's end).
            uint64_t position = atomic_load_explicit(&control->claim, memory_order_relaxed), total;
            for (;;) {
                uint64_t to_end = capacity - (position & mask);
                total = need > to_end ? to_end + need : need;
                uint64_t head = atomic_load_explicit(&control->head, memory_order_acquire);
                if (position + total - head > capacity) {
                    if (!blocking || cb_now_ns() >= end) goto refused;
                    position = atomic_load_explicit(&control->claim, memory_order_relaxed);
                    continue;
                }
                if (atomic_compare_exchange_weak_explicit(&control->claim, &position, position + total, memory_order_acq_rel,
                                                          memory_order_relaxed))
                    break;
            }
            if (total > need) {
                atomic_store_explicit(state_at(records, mask, position), MPSC_COMMITTED | MPSC_PAD, memory_order_release);
                position += total - need;
            }
            unsigned char *record = records + (position & mask);
            memset(record + 4 + CB_HEADER_BYTES, 0x5A, (size_t)payload - CB_HEADER_BYTES);
            cb_stamp(record + 4, writer, (uint32_t)(stats->attempted + (uint64_t)i), now);
            atomic_store_explicit(state_at(records, mask, position), MPSC_COMMITTED | (uint32_t)payload, memory_order_release);
            // Wake a sleeping reader.
            atomic_thread_fence(memory_order_seq_cst);
            if (atomic_load_explicit(&control->sleeping, memory_order_relaxed) &&
                atomic_exchange_explicit(&control->sleeping, 0, memory_order_acq_rel)) {
                atomic_fetch_add_explicit(&control->wake, 1, memory_order_release);
                futex_wake(&control->wake);
            }
            sent++;
            continue;
        refused:
            break;
        }
        stats->attempted += (uint64_t)due;
        stats->sent += (uint64_t)sent;
        stats->refused += (uint64_t)(due - sent);
    }
    stats->end_ns = cb_now_ns();
    munmap(region, (size_t)status.st_size);
    return 0;
}
