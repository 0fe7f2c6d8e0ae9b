// CBaselines: what a C programmer would write instead of a mailslot, measured in the same run.
//
// - An AF_UNIX datagram pair (sendmmsg / epoll + recvmmsg): the kernel's limit for local IPC.
// - A POSIX message-queue pair (mq_send / epoll + mq_receive): Linux's named-queue analog.
// - A single-producer shared-memory ring, busy-polled (shm_ring.c): the practical ceiling.
//
// Every receiver, the mailslot engine's included, runs the same per-message tally
// (cb_tally_record), and every paced writer the same pacer (cb_pacer_due), so the only
// difference between a row and its baseline is the transport.
//
// Message header, written by every writer (the rest of the payload is filler):
//
//     0    1           4        8                16
//     +----+-----------+--------+----------------+-----------
//     | wr | mailslot  |  seq   |  send time ns  | filler...
//     +----+-----------+--------+----------------+-----------
//       u8   u24 LE      u32 LE   u64 LE, CLOCK_MONOTONIC
//
// `wr` is the writer (< CB_MAX_WRITERS); `mailslot` is which of the writer's destinations the
// message went to (0 for a writer with one). `seq` counts the writer's messages over all of
// them, so order is promised, and checked, per writer per mailslot.
#ifndef CBASELINES_H
#define CBASELINES_H

#include <stdint.h>
#include <string.h>
#include <time.h>

#define CB_HEADER_BYTES 16
#define CB_MAX_WRITERS 64

/// Monotonic nanoseconds (vDSO, ~25 ns).
static inline uint64_t cb_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/// What a receiver saw.
typedef struct {
    uint64_t received;
    /// Messages that came after a later one of the same writer to the same mailslot: a broken
    /// promise (FIFO per writer per mailslot).
    uint64_t out_of_order;
    /// Messages that came after a later one of the same writer to any mailslot: mailslots are
    /// separate queues, so a reader of many interleaves them (not a fault; counted for scale).
    uint64_t reordered_across_mailslots;
    uint64_t first_ns;
    uint64_t last_ns;
    /// Write→read latency of the first `latency_capacity` messages, in ns (saturating).
    uint32_t *latencies;
    uint64_t latency_capacity;
    /// Per writer: 1 + the last sequence number seen (0: none yet).
    uint32_t next_seq[CB_MAX_WRITERS];
    /// Per writer and mailslot (writer * slot_capacity + mailslot), as next_seq; mailslots at
    /// or past slot_capacity share the last entry.
    uint32_t *slot_next_seq;
    uint64_t slot_capacity;
} cb_tally;

/// Counts one received message: order per writer, write→read latency, first/last time.
static inline void cb_tally_record(cb_tally *t, const void *message, size_t length, uint64_t now) {
    if (t->received == 0) t->first_ns = now;
    t->last_ns = now;
    if (length >= CB_HEADER_BYTES) {
        uint32_t field, seq;
        uint64_t sent;
        memcpy(&field, message, 4);
        uint32_t writer = field & 0xFF, slot = field >> 8;
        memcpy(&seq, (const char *)message + 4, 4);
        memcpy(&sent, (const char *)message + 8, 8);
        if (t->received < t->latency_capacity) {
            uint64_t latency = now > sent ? now - sent : 0;
            t->latencies[t->received] = latency > UINT32_MAX ? UINT32_MAX : (uint32_t)latency;
        }
        if (writer < CB_MAX_WRITERS) {
            if (seq + 1 <= t->next_seq[writer]) t->reordered_across_mailslots++;
            t->next_seq[writer] = seq + 1;
            uint64_t index = slot < t->slot_capacity ? slot : t->slot_capacity - 1;
            uint32_t *next = &t->slot_next_seq[(uint64_t)writer * t->slot_capacity + index];
            if (seq + 1 <= *next) t->out_of_order++;
            *next = seq + 1;
        }
    }
    t->received++;
}

/// Writes the header of message `seq` of `writer` to its mailslot `slot` at `buffer` (at
/// least CB_HEADER_BYTES).
static inline void cb_stamp_to(void *buffer, uint32_t writer, uint32_t slot, uint32_t seq, uint64_t now) {
    uint32_t field = (writer & 0xFF) | (slot << 8);
    memcpy(buffer, &field, 4);
    memcpy((char *)buffer + 4, &seq, 4);
    memcpy((char *)buffer + 8, &now, 8);
}

/// cb_stamp_to for a writer with one mailslot.
static inline void cb_stamp(void *buffer, uint32_t writer, uint32_t seq, uint64_t now) {
    cb_stamp_to(buffer, writer, 0, seq, now);
}

/// Paces a writer at `rate` messages/s (0: as fast as it goes).
typedef struct {
    uint64_t start_ns;
    double rate;
} cb_pacer;

/// How many messages are due now (at most `batch`), given `attempted` so far; sleeps briefly
/// and returns 0 when none is due yet.
int cb_pacer_due(const cb_pacer *pacer, uint64_t attempted, int batch);

/// What a writer did.
typedef struct {
    uint64_t attempted;
    uint64_t sent;
    /// Messages the kernel refused (EAGAIN on a non-blocking writer): reported, never silent.
    uint64_t refused;
    uint64_t start_ns;
    uint64_t end_ns;
} cb_send_stats;

/// Pins the calling thread to one CPU; returns 0 or -1.
int cb_pin_cpu(int cpu);

/// pipe2(fds, O_CLOEXEC); returns 0 or -errno.
int cb_pipe(int fds[2]);

/// Gives freed heap memory back to the kernel, so RSS figures start from a clean slate.
void cb_malloc_trim(void);

/// Writes `text` to stderr, unbuffered.
void cb_stderr(const char *text);

/// CPU time (user + system) this process has used, in nanoseconds (all its threads).
uint64_t cb_process_cpu_ns(void);

/// Resident set size of this process, in bytes (from /proc/self/statm).
uint64_t cb_rss_bytes(void);

/// RSS samples taken by the sampler thread: every sample counted, and the min/max/last of those
/// after the first `warmup`.
typedef struct {
    uint64_t count;
    uint64_t warmup;
    uint64_t measured;
    uint64_t min;
    uint64_t max;
    uint64_t last;
} cb_rss_samples;

/// Starts a thread that samples this process's RSS every `interval_ms`. Returns 0 or -errno.
int cb_rss_sampler_start(int interval_ms, uint64_t warmup_samples);
/// Stops the sampler and returns what it saw.
cb_rss_samples cb_rss_sampler_stop(void);

// MARK: AF_UNIX datagram pair

/// Binds `count` datagram sockets to abstract names "<prefix>/<i>"; returns 0 or -errno.
int cb_unix_bind(const char *prefix, int count, int *fds);

/// Receives on `fds` (epoll; recvmmsg of `batch` per call, at most 4 calls per event, stopping
/// at a short batch) until `done_fd` reports EOF, then drains every socket; returns 0 or -errno.
int cb_unix_receive(const int *fds, int count, int batch, int max_size, int done_fd, cb_tally *tally);

/// Closes `count` sockets.
void cb_close_all(const int *fds, int count);

/// Writes for `seconds` to the sockets "<prefix>/<i>" for i = first, first + step, ... < count,
/// `batch` messages per sendmmsg to one socket before moving to the next; paced at `rate`
/// (0: as fast as it goes); `blocking` waits for room, else refused messages are counted.
int cb_unix_send(const char *prefix, int count, int first, int step, uint32_t writer, int payload, int batch,
                 double seconds, double rate, int blocking, cb_send_stats *stats);

// MARK: POSIX message queues

/// Creates queue `name` (maxmsg × msgsize) for reading, non-blocking; returns the descriptor or -errno.
int cb_mq_create(const char *name, long maxmsg, long msgsize);

/// Receives until `done_fd` reports EOF, then drains the queue; returns 0 or -errno.
int cb_mq_receive(int mq, long msgsize, int done_fd, cb_tally *tally);

/// Closes and unlinks the queue.
void cb_mq_destroy(int mq, const char *name);

/// Writes for `seconds` to queue `name`, paced at `rate`; as cb_unix_send, one mq_send per message.
int cb_mq_send(const char *name, uint32_t writer, int payload, double seconds, double rate, int blocking,
               cb_send_stats *stats);

// MARK: Many-writer shared memory (shm_mpsc.c: what a mailslot's shared-memory ring does)

/// Creates the POSIX shared-memory ring `name` (`capacity` bytes, a power of two) for records
/// of at most `max_length` bytes; NULL on failure.
void *cb_mpsc_create(const char *name, size_t capacity, size_t max_length);

/// Unmaps and unlinks the ring.
void cb_mpsc_destroy(void *region, const char *name);

/// The sleeping reader: takes committed records in order (checking each header) into the tally,
/// sleeps on a futex when the ring is empty, until `done_fd` reports EOF. A record whose header
/// is impossible counts in *corrupt and ends the read with -EBADMSG.
int cb_mpsc_receive(void *region, int done_fd, cb_tally *tally, uint64_t *corrupt);

/// A writer: claims each record with a compare-and-swap, writes, commits, wakes the reader when
/// it sleeps; paced as cb_unix_send, refusing (or, `blocking`, waiting) when the ring is full.
int cb_mpsc_send(const char *name, uint32_t writer, int payload, double seconds, double rate, int blocking, cb_send_stats *stats);

// MARK: UDP (NetBIOS datagrams on loopback)

/// A UDP socket bound to 127.0.0.1:port (0: any free port) with a receive buffer of
/// `buffer_bytes` (SO_RCVBUFFORCE when permitted); returns the descriptor or -errno, and the
/// bound port in *bound.
int cb_udp_bind(int port, int buffer_bytes, int *bound);

/// As cb_udp_bind, on 0.0.0.0 (so the socket also gets broadcasts).
int cb_udp_bind_any(int port, int buffer_bytes, int *bound);

/// The plain C receiver: epoll + recvmmsg of `batch`, at most 4 calls per event, stopping at a
/// short batch, until `done_fd` reports EOF and the socket is empty. Each datagram's last
/// `payload` bytes are the message (what a mailslot receiver would hand on); they go through
/// the tally.
int cb_udp_receive(int fd, int batch, int payload, int done_fd, cb_tally *tally);

/// What c-msmail did with the datagrams it received, by cause (as the engine counts them).
typedef struct {
    uint64_t delivered;
    uint64_t malformed;
    uint64_t oversize;
    uint64_t wrong_destination;
    uint64_t unknown_mailslot;
    /// The socket's drop counter (SO_RXQ_OVFL) at the end.
    uint64_t kernel_drops;
} cb_msmail_counts;

/// c-msmail, the like-for-like receiver (msmail.c says what it does per datagram): recvmmsg with
/// senders and the drop counter, the MS-MAIL checks, the destination, a hash lookup over
/// `mailslots` names (`\MAILSLOT\<prefix>\<i>`), a call through a function pointer into the
/// tally; until `done_fd` reports EOF and the socket is empty.
int cb_msmail_receive(int fd, const char *prefix, int mailslots, int done_fd, cb_tally *tally, cb_msmail_counts *counts);

/// The blaster: sends, for `seconds`, copies of `count` pre-encoded datagrams (`templates`, one
/// every `stride` bytes, `lengths` each) round-robin to 127.0.0.1:port with sendmmsg of `batch`,
/// stamping the message header at each datagram's `length - payload`; paced at `rate` (0: as fast
/// as it goes). Refused datagrams (EAGAIN, ENOBUFS) are counted.
int cb_udp_blast(const char *host, int port, const unsigned char *templates, int count, int stride, const int *lengths, int payload,
                 uint32_t writer, int batch, double seconds, double rate, uint64_t max_messages, cb_send_stats *stats);

/// The kernel's UDP receive-buffer drops so far in this network namespace (RcvbufErrors +
/// InErrors of /proc/net/snmp).
uint64_t cb_udp_kernel_drops(void);

// MARK: Shared-memory ring (single producer, busy-polling consumer)

/// Creates the POSIX shared-memory ring `name` with `capacity` record bytes (a power of two);
/// returns its mapping, or NULL with errno set.
void *cb_shm_create(const char *name, size_t capacity);

/// Unmaps and unlinks the ring.
void cb_shm_destroy(void *region, const char *name);

/// Busy-polls the ring until `done_fd` reports EOF, then takes what is left; returns 0.
int cb_shm_receive(void *region, int done_fd, cb_tally *tally);

/// Writes for `seconds` into ring `name` (one producer), stamping each message, paced at
/// `rate`; a full ring is waited out by spinning when `blocking`, else its messages are counted
/// as refused.
int cb_shm_send(const char *name, uint32_t writer, int payload, double seconds, double rate, int blocking,
                cb_send_stats *stats);

#endif
