// The practical ceiling for shared-memory IPC: a plain C single-producer, single-consumer ring
// in POSIX shared memory, the consumer busy-polling (no wake-ups, no system calls at all).
//
//   0      64      128                4096
//   +------+-------+------------------+--------------------------------------------+
//   | head | tail  | capacity (u64)   | records: | length u32 | payload | pad 8 | … |
//   +------+-------+------------------+--------------------------------------------+
//   head and tail on their own cache lines; length 0xFFFFFFFF pads to the end of the ring.
#define _GNU_SOURCE
#include "CBaselines.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define CB_SHM_CONTROL 4096
#define CB_SHM_PAD 0xFFFFFFFFu

typedef struct {
    _Alignas(64) _Atomic uint64_t head;
    _Alignas(64) _Atomic uint64_t tail;
    _Alignas(64) uint64_t capacity;
} cb_shm_control;

static inline size_t footprint(size_t length) { return (4 + length + 7) & ~(size_t)7; }

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

void *cb_shm_create(const char *name, size_t capacity) {
    shm_unlink(name);
    int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return NULL;
    size_t bytes = CB_SHM_CONTROL + capacity;
    void *region = MAP_FAILED;
    if (ftruncate(fd, (off_t)bytes) == 0) region = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (region == MAP_FAILED) {
        shm_unlink(name);
        return NULL;
    }
    ((cb_shm_control *)region)->capacity = capacity;
    return region;
}

void cb_shm_destroy(void *region, const char *name) {
    size_t capacity = ((cb_shm_control *)region)->capacity;
    munmap(region, CB_SHM_CONTROL + capacity);
    shm_unlink(name);
}

/// Takes every record between head and tail; returns how many.
static uint64_t take(cb_shm_control *control, unsigned char *records, uint64_t mask, uint64_t *head, cb_tally *tally) {
    uint64_t tail = atomic_load_explicit(&control->tail, memory_order_acquire);
    uint64_t taken = 0;
    while (*head != tail) {
        unsigned char *record = records + (*head & mask);
        uint32_t length;
        memcpy(&length, record, 4);
        if (length == CB_SHM_PAD) {
            *head += (mask + 1) - (*head & mask);
            continue;
        }
        cb_tally_record(tally, record + 4, length, cb_now_ns());
        *head += footprint(length);
        taken++;
    }
    atomic_store_explicit(&control->head, *head, memory_order_release);
    return taken;
}

int cb_shm_receive(void *region, int done_fd, cb_tally *tally) {
    cb_shm_control *control = region;
    unsigned char *records = (unsigned char *)region + CB_SHM_CONTROL;
    uint64_t mask = control->capacity - 1;
    uint64_t head = atomic_load_explicit(&control->head, memory_order_relaxed);
    uint64_t idle = 0;
    for (;;) {
        if (take(control, records, mask, &head, tally) > 0) {
            idle = 0;
            continue;
        }
        cpu_relax();
        if ((++idle & 4095) == 0) {
            struct pollfd entry = {.fd = done_fd, .events = POLLIN};
            if (poll(&entry, 1, 0) > 0) break;
        }
    }
    // Every writer has exited: what it wrote is in the ring.
    take(control, records, mask, &head, tally);
    return 0;
}

int cb_shm_send(const char *name, uint32_t writer, int payload, double seconds, double rate, int blocking,
                cb_send_stats *stats) {
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
    cb_shm_control *control = region;
    unsigned char *records = (unsigned char *)region + CB_SHM_CONTROL;
    uint64_t capacity = control->capacity, mask = capacity - 1;
    uint64_t tail = atomic_load_explicit(&control->tail, memory_order_relaxed);
    uint64_t head_cache = atomic_load_explicit(&control->head, memory_order_acquire);
    size_t need = footprint((size_t)payload);
    memset(stats, 0, sizeof *stats);
    cb_pacer pacer = {cb_now_ns(), rate};
    stats->start_ns = pacer.start_ns;
    uint64_t end = pacer.start_ns + (uint64_t)(seconds * 1e9);
    const int batch = 32;
    while (cb_now_ns() < end) {
        int due = cb_pacer_due(&pacer, stats->attempted, batch);
        if (due == 0) continue;
        uint64_t now = cb_now_ns();
        int sent = 0;
        for (int i = 0; i < due; i++) {
            uint64_t to_end = capacity - (tail & mask);
            uint64_t total = need > to_end ? to_end + need : need;
            while (tail + total - head_cache > capacity) {
                head_cache = atomic_load_explicit(&control->head, memory_order_acquire);
                if (tail + total - head_cache <= capacity) break;
                if (!blocking || cb_now_ns() >= end) goto refused;
                cpu_relax();
            }
            if (need > to_end) {
                uint32_t pad = CB_SHM_PAD;
                memcpy(records + (tail & mask), &pad, 4);
                tail += to_end;
            }
            unsigned char *record = records + (tail & mask);
            uint32_t length = (uint32_t)payload;
            memcpy(record, &length, 4);
            memset(record + 4 + CB_HEADER_BYTES, 0x5A, (size_t)payload - CB_HEADER_BYTES);
            cb_stamp(record + 4, writer, (uint32_t)(stats->attempted + (uint64_t)i), now);
            tail += need;
            atomic_store_explicit(&control->tail, tail, memory_order_release);
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
