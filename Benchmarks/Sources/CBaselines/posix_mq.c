#define _GNU_SOURCE
#include "CBaselines.h"

#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

int cb_mq_create(const char *name, long maxmsg, long msgsize) {
    struct mq_attr attributes = {.mq_maxmsg = maxmsg, .mq_msgsize = msgsize};
    mq_unlink(name);
    mqd_t mq = mq_open(name, O_RDONLY | O_NONBLOCK | O_CREAT | O_EXCL | O_CLOEXEC, 0600, &attributes);
    return mq == (mqd_t)-1 ? -errno : (int)mq;
}

void cb_mq_destroy(int mq, const char *name) {
    mq_close((mqd_t)mq);
    mq_unlink(name);
}

static void drain(int mq, char *buffer, long msgsize, cb_tally *tally) {
    for (;;) {
        ssize_t n = mq_receive((mqd_t)mq, buffer, (size_t)msgsize, NULL);
        if (n < 0) {
            if (errno == EINTR) continue;
            return;
        }
        cb_tally_record(tally, buffer, (size_t)n, cb_now_ns());
    }
}

int cb_mq_receive(int mq, long msgsize, int done_fd, cb_tally *tally) {
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) return -errno;
    struct epoll_event event = {.events = EPOLLIN};
    event.data.u32 = 0;
    epoll_ctl(ep, EPOLL_CTL_ADD, mq, &event);
    event.data.u32 = 1;
    epoll_ctl(ep, EPOLL_CTL_ADD, done_fd, &event);
    char *buffer = malloc((size_t)msgsize);
    struct epoll_event ready[2];
    int done = 0;
    while (!done) {
        int n = epoll_wait(ep, ready, 2, -1);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) break;
        for (int k = 0; k < n; k++) {
            if (ready[k].data.u32 == 1) done = 1;
            else drain(mq, buffer, msgsize, tally);
        }
    }
    drain(mq, buffer, msgsize, tally);
    free(buffer);
    close(ep);
    return 0;
}

int cb_mq_send(const char *name, uint32_t writer, int payload, double seconds, double rate, int blocking,
               cb_send_stats *stats) {
    mqd_t mq = mq_open(name, O_WRONLY | O_CLOEXEC | (blocking ? 0 : O_NONBLOCK));
    if (mq == (mqd_t)-1) return -errno;
    char *buffer = calloc(1, (size_t)payload);
    memset(stats, 0, sizeof *stats);
    cb_pacer pacer = {cb_now_ns(), rate};
    stats->start_ns = pacer.start_ns;
    uint64_t end = pacer.start_ns + (uint64_t)(seconds * 1e9);
    int result = 0;
    while (cb_now_ns() < end && result == 0) {
        int due = cb_pacer_due(&pacer, stats->attempted, 32);
        for (int i = 0; i < due; i++) {
            cb_stamp(buffer, writer, (uint32_t)stats->attempted, cb_now_ns());
            stats->attempted++;
            int n;
            do { n = mq_send(mq, buffer, (size_t)payload, 0); } while (n < 0 && errno == EINTR);
            if (n == 0) stats->sent++;
            else if (errno == EAGAIN) stats->refused++;
            else { result = -errno; break; }
        }
    }
    stats->end_ns = cb_now_ns();
    free(buffer);
    mq_close(mq);
    return result;
}
