#define _GNU_SOURCE
#include "CBaselines.h"
#include "batch.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static socklen_t abstract_address(struct sockaddr_un *address, const char *prefix, int index) {
    memset(address, 0, sizeof *address);
    address->sun_family = AF_UNIX;
    int n = snprintf(address->sun_path + 1, sizeof address->sun_path - 1, "%s/%d", prefix, index);
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
}

int cb_unix_bind(const char *prefix, int count, int *fds) {
    for (int i = 0; i < count; i++) {
        int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        struct sockaddr_un address;
        socklen_t length = abstract_address(&address, prefix, i);
        if (fd < 0 || bind(fd, (struct sockaddr *)&address, length) < 0) {
            int code = errno;
            if (fd >= 0) close(fd);
            cb_close_all(fds, i);
            return -code;
        }
        fds[i] = fd;
    }
    return 0;
}

void cb_close_all(const int *fds, int count) {
    for (int i = 0; i < count; i++) close(fds[i]);
}

/// One socket's turn: up to 4 recvmmsg calls, stopping at a short batch (or all, if draining).
static void receive_from(int fd, struct mmsghdr *headers, int batch, int drain, cb_tally *tally) {
    for (int call = 0; drain || call < 4; call++) {
        int n = recvmmsg(fd, headers, (unsigned)batch, MSG_DONTWAIT, NULL);
        if (n <= 0) return;
        for (int i = 0; i < n; i++) {
            cb_tally_record(tally, headers[i].msg_hdr.msg_iov->iov_base, headers[i].msg_len, cb_now_ns());
            headers[i].msg_len = 0;
        }
        if (n < batch) return;
    }
}

int cb_unix_receive(const int *fds, int count, int batch, int max_size, int done_fd, cb_tally *tally) {
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) return -errno;
    struct epoll_event event = {.events = EPOLLIN};
    event.data.u64 = (uint64_t)count;  // the done pipe
    epoll_ctl(ep, EPOLL_CTL_ADD, done_fd, &event);
    for (int i = 0; i < count; i++) {
        event.data.u64 = (uint64_t)i;
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &event) < 0) {
            int code = errno;
            close(ep);
            return -code;
        }
    }
    cb_batch scratch;
    if (cb_batch_init(&scratch, batch, (size_t)max_size) < 0) {
        close(ep);
        return -ENOMEM;
    }
    struct mmsghdr *headers = scratch.headers;
    struct epoll_event ready[256];
    int done = 0;
    while (!done) {
        int n = epoll_wait(ep, ready, 256, -1);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) break;
        for (int k = 0; k < n; k++) {
            uint64_t index = ready[k].data.u64;
            if (index == (uint64_t)count) {
                done = 1;
            } else {
                receive_from(fds[index], headers, batch, 0, tally);
            }
        }
    }
    // Every writer has exited, so all it sent is queued already: drain everything.
    for (int i = 0; i < count; i++) receive_from(fds[i], headers, batch, 1, tally);
    cb_batch_free(&scratch);
    close(ep);
    return 0;
}

int cb_unix_send(const char *prefix, int count, int first, int step, uint32_t writer, int payload, int batch,
                 double seconds, double rate, int blocking, cb_send_stats *stats) {
    int destinations = 0;
    for (int i = first; i < count; i += step) destinations++;
    if (destinations == 0) return -EINVAL;
    int *fds = calloc((size_t)destinations, sizeof *fds);
    for (int i = first, d = 0; i < count; i += step, d++) {
        int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        struct sockaddr_un address;
        socklen_t length = abstract_address(&address, prefix, i);
        int size = 4 << 20;
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
        if (fd < 0 || connect(fd, (struct sockaddr *)&address, length) < 0) {
            int code = errno;
            if (fd >= 0) close(fd);
            cb_close_all(fds, d);
            free(fds);
            return -code;
        }
        fds[d] = fd;
    }
    cb_batch messages;
    if (cb_batch_init(&messages, batch, (size_t)payload) < 0) {
        cb_close_all(fds, destinations);
        free(fds);
        return -ENOMEM;
    }
    memset(stats, 0, sizeof *stats);
    cb_pacer pacer = {cb_now_ns(), rate};
    stats->start_ns = pacer.start_ns;
    uint64_t end = pacer.start_ns + (uint64_t)(seconds * 1e9);
    int flags = blocking ? 0 : MSG_DONTWAIT;
    int result = 0;
    for (int d = 0; cb_now_ns() < end; d = d + 1 == destinations ? 0 : d + 1) {
        int due = cb_pacer_due(&pacer, stats->attempted, batch);
        if (due == 0) continue;
        uint64_t now = cb_now_ns();
        for (int i = 0; i < due; i++) cb_stamp_to(messages.vectors[i].iov_base, writer, (uint32_t)d, (uint32_t)(stats->attempted + i), now);
        int sent = cb_send_all(fds[d], messages.headers, due, flags, &result);
        stats->attempted += (uint64_t)due;
        stats->sent += (uint64_t)sent;
        stats->refused += (uint64_t)(due - sent);
        if (result < 0) break;
    }
    stats->end_ns = cb_now_ns();
    cb_close_all(fds, destinations);
    cb_batch_free(&messages);
    free(fds);
    return result;
}
