// Private to CBaselines: the mmsghdr scaffolding every baseline loop shares.
#ifndef CB_BATCH_H
#define CB_BATCH_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/uio.h>

/// `count` message headers, each with one iovec over its own `slot`-byte buffer.
typedef struct {
    struct mmsghdr *headers;
    struct iovec *vectors;
    unsigned char *buffers;
    int count;
    size_t slot;
} cb_batch;

/// Allocates and links the batch (zeroed buffers); returns 0 or -ENOMEM.
int cb_batch_init(cb_batch *batch, int count, size_t slot);

/// Frees the batch.
void cb_batch_free(cb_batch *batch);

/// Sends headers[0..<count] with sendmmsg until all went or the kernel refused (EAGAIN,
/// ENOBUFS, ECONNREFUSED: counted by the caller as refused); returns how many went, and any
/// other error as -errno in *error.
int cb_send_all(int fd, struct mmsghdr *headers, int count, int flags, int *error);

/// Waits on `fd` and `done_fd` with epoll, calling `on_ready(context)` whenever `fd` is
/// readable, until `done_fd` reports (the writers have exited); returns 0 or -errno.
int cb_serve_until_done(int fd, int done_fd, void (*on_ready)(void *context), void *context);

#endif
