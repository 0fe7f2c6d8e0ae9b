#define _GNU_SOURCE
#include "CBaselines.h"
#include "batch.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <sched.h>
#include <sys/epoll.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int cb_pacer_due(const cb_pacer *pacer, uint64_t attempted, int batch) {
    if (pacer->rate <= 0) return batch;
    uint64_t now = cb_now_ns();
    double elapsed = (double)(now - pacer->start_ns) / 1e9;
    double due = pacer->rate * elapsed - (double)attempted;
    if (due >= 1) return due >= batch ? batch : (int)due;
    // Sleep until the next message is due (at least ~20 µs: the scheduler's grain here).
    double wait = (1 - due) / pacer->rate;
    if (wait > 0.002) wait = 0.002;
    struct timespec ts = {0, (long)(wait * 1e9)};
    nanosleep(&ts, NULL);
    return 0;
}

int cb_pin_cpu(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof set, &set);
}

uint64_t cb_rss_bytes(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return 0;
    unsigned long size = 0, resident = 0;
    int n = fscanf(f, "%lu %lu", &size, &resident);
    fclose(f);
    return n == 2 ? (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE) : 0;
}

uint64_t cb_process_cpu_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int cb_batch_init(cb_batch *batch, int count, size_t slot) {
    batch->count = count;
    batch->slot = slot;
    batch->headers = calloc((size_t)count, sizeof *batch->headers);
    batch->vectors = calloc((size_t)count, sizeof *batch->vectors);
    batch->buffers = calloc((size_t)count, slot);
    if (!batch->headers || !batch->vectors || !batch->buffers) {
        cb_batch_free(batch);
        return -ENOMEM;
    }
    for (int i = 0; i < count; i++) {
        batch->vectors[i].iov_base = batch->buffers + (size_t)i * slot;
        batch->vectors[i].iov_len = slot;
        batch->headers[i].msg_hdr.msg_iov = &batch->vectors[i];
        batch->headers[i].msg_hdr.msg_iovlen = 1;
    }
    return 0;
}

void cb_batch_free(cb_batch *batch) {
    free(batch->buffers);
    free(batch->vectors);
    free(batch->headers);
    batch->buffers = NULL;
    batch->vectors = NULL;
    batch->headers = NULL;
}

int cb_send_all(int fd, struct mmsghdr *headers, int count, int flags, int *error) {
    int sent = 0;
    *error = 0;
    while (sent < count) {
        int n = sendmmsg(fd, headers + sent, (unsigned)(count - sent), flags);
        if (n > 0) { sent += n; continue; }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno != EAGAIN && errno != ENOBUFS && errno != ECONNREFUSED) *error = -errno;
        break;
    }
    return sent;
}

int cb_serve_until_done(int fd, int done_fd, void (*on_ready)(void *context), void *context) {
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) return -errno;
    struct epoll_event event = {.events = EPOLLIN};
    event.data.u32 = 0;
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &event);
    event.data.u32 = 1;
    epoll_ctl(ep, EPOLL_CTL_ADD, done_fd, &event);
    struct epoll_event ready[2];
    int done = 0;
    while (!done) {
        int n = epoll_wait(ep, ready, 2, -1);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) break;
        for (int k = 0; k < n; k++) {
            if (ready[k].data.u32 == 1) done = 1;
            else on_ready(context);
        }
    }
    close(ep);
    return 0;
}

int cb_pipe(int fds[2]) { return pipe2(fds, O_CLOEXEC) == 0 ? 0 : -errno; }

void cb_malloc_trim(void) { malloc_trim(0); }

void cb_stderr(const char *text) {
    fputs(text, stderr);
    fflush(stderr);
}
