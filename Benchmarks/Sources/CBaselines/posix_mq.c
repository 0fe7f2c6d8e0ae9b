#define _GNU_SOURCE
#include "CBaselines.h"
#include "batch.h"

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

typedef struct {
    int mq;
    char *buffer;
    long msgsize;
    cb_tally *tally;
} mq_receiver;

static void on_queue_ready(void *context) {
    mq_receiver *r = context;
    drain(r->mq, r->buffer, r->msgsize, r->tally);
}

int cb_mq_receive(int mq, long msgsize, int done_fd, cb_tally *tally) {
    mq_receiver r = {mq, malloc((size_t)msgsize), msgsize, tally};
    if (!r.buffer) return -ENOMEM;
    int status = cb_serve_until_done(mq, done_fd, on_queue_ready, &r);
    drain(mq, r.buffer, msgsize, tally);
    free(r.buffer);
    return status;
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
