// CLibEv: the only C surface the Swift engine sees.
//
// General notes (the quirks this header works around):
// - Swift does not import C function-like macros, so libev's ev_*_init/ev_*_set/ev_is_active
//   are re-exported as `static inline` functions with a CLibEv_ prefix.
// - libev's configuration macros (EV_COMMON, EV_MULTIPLICITY, ...) must match Debian's build of
//   libev.so, so none is redefined here. EV_COMPAT3 0 removes the pre-4.0 `ev_loop` function,
//   which clashes with `struct ev_loop` in Swift.
// - Glibc's module does not expose recvmmsg/sendmmsg/struct mmsghdr without _GNU_SOURCE, and
//   defining _GNU_SOURCE here breaks the Glibc module ("ambiguous use of strerror_r"). So a
//   layout-identical struct is declared under a project prefix and the two functions are bound
//   to the real glibc symbols with __asm__ labels. _Static_assert locks the layout.
// - CMSG_* are macros too: SCM_RIGHTS helpers for passing descriptors (a mailslot handle, a
//   shared-memory ring) and the SO_RXQ_OVFL reader for the datagram service's kernel drop
//   count live here.
// - syscall(2) is variadic, which Swift cannot call: futex, memfd_create and the peer's
//   credentials (struct ucred needs _GNU_SOURCE) for shared-memory mailslots are wrapped here,
//   with the robust-mutex liveness test that reads glibc's lock word.
#ifndef CLIBEV_H
#define CLIBEV_H

#define EV_COMPAT3 0
#include <ev.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/syscall.h>
#include <sys/eventfd.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

static inline void CLibEv_io_init(ev_io *w, void (*cb)(struct ev_loop *, ev_io *, int), int fd, int events) {
    ev_io_init(w, cb, fd, events);
}
static inline void CLibEv_timer_init(ev_timer *w, void (*cb)(struct ev_loop *, ev_timer *, int), double after, double repeat) {
    ev_timer_init(w, cb, after, repeat);
}
static inline void CLibEv_timer_set(ev_timer *w, double after, double repeat) { ev_timer_set(w, after, repeat); }
static inline void CLibEv_async_init(ev_async *w, void (*cb)(struct ev_loop *, ev_async *, int)) {
    ev_async_init(w, cb);
}
static inline void CLibEv_signal_init(ev_signal *w, void (*cb)(struct ev_loop *, ev_signal *, int), int signum) {
    ev_signal_init(w, cb, signum);
}
static inline int CLibEv_io_is_active(const ev_io *w) { return ev_is_active(w); }
static inline int CLibEv_timer_is_active(const ev_timer *w) { return ev_is_active(w); }
static inline void *CLibEv_io_data(const ev_io *w) { return w->data; }
static inline void CLibEv_io_set_data(ev_io *w, void *data) { w->data = data; }
static inline void *CLibEv_timer_data(const ev_timer *w) { return w->data; }
static inline void CLibEv_timer_set_data(ev_timer *w, void *data) { w->data = data; }

/// Layout-identical to glibc's `struct mmsghdr`.
struct CLibEv_mmsghdr {
    struct msghdr msg_hdr;
    unsigned int msg_len;
};
_Static_assert(sizeof(struct CLibEv_mmsghdr) == 64, "struct mmsghdr layout");

extern int CLibEv_recvmmsg(int fd, struct CLibEv_mmsghdr *vec, unsigned int vlen, int flags, struct timespec *timeout)
    __asm__("recvmmsg");
extern int CLibEv_sendmmsg(int fd, struct CLibEv_mmsghdr *vec, unsigned int vlen, int flags) __asm__("sendmmsg");

/// Bytes of control buffer for the `SO_RXQ_OVFL` drop counter of one datagram.
static inline size_t CLibEv_cmsg_space_drops(void) { return CMSG_SPACE(sizeof(unsigned int)); }

/// The socket's cumulative drop count carried by `msg` (`SO_RXQ_OVFL`), or -1 when absent.
static inline long long CLibEv_cmsg_get_drops(struct msghdr *msg) {
    for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL && c->cmsg_len >= CMSG_LEN(sizeof(unsigned int))) {
            unsigned int drops;
            memcpy(&drops, CMSG_DATA(c), sizeof(unsigned int));
            return drops;
        }
    }
    return -1;
}

/// Bytes of control buffer needed to carry `count` file descriptors.
static inline size_t CLibEv_cmsg_space_fds(int count) { return CMSG_SPACE(sizeof(int) * (size_t)count); }

/// Writes one SCM_RIGHTS header carrying `count` descriptors into `msg`'s control buffer.
static inline void CLibEv_cmsg_put_fds(struct msghdr *msg, const int *fds, int count) {
    struct cmsghdr *c = CMSG_FIRSTHDR(msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)count);
    memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)count);
    msg->msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)count);
}

/// Copies up to `max` SCM_RIGHTS descriptors from `msg` into `out`; returns how many. Every
/// descriptor received beyond `max` is closed, so none leaks.
static inline int CLibEv_cmsg_get_fds(struct msghdr *msg, int *out, int max) {
    int taken = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS || c->cmsg_len < CMSG_LEN(0)) continue;
        size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < n; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
            if (taken < max) out[taken++] = fd; else close(fd);
        }
    }
    return taken;
}

/// Sleeps while `*word == expected`, at most `timeout` (NULL: no limit). -1 with errno set on
/// EAGAIN (the word changed), ETIMEDOUT or EINTR. Not FUTEX_PRIVATE: the word is shared memory.
static inline int CLibEv_futex_wait(uint32_t *word, uint32_t expected, const struct timespec *timeout) {
    return (int)syscall(SYS_futex, word, FUTEX_WAIT, expected, timeout, NULL, 0);
}

/// Wakes up to `count` sleepers on `word`.
static inline int CLibEv_futex_wake(uint32_t *word, int count) {
    return (int)syscall(SYS_futex, word, FUTEX_WAKE, count, NULL, NULL, 0);
}

/// memfd_create(2).
static inline int CLibEv_memfd_create(const char *name, unsigned int flags) {
    return (int)syscall(SYS_memfd_create, name, flags);
}

/// The uid and pid of the process that made the socket at the other end of `fd`
/// (`SO_PEERCRED`). Returns 0, or -1 with errno set.
static inline int CLibEv_peer_credentials(int fd, unsigned int *uid, int *pid) {
    struct { int pid; unsigned int uid; unsigned int gid; } cred;
    socklen_t length = sizeof(cred);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &length) != 0) return -1;
    *uid = cred.uid;
    *pid = cred.pid;
    return 0;
}

/// `true` while the thread that locked the robust, process-shared `mutex` is alive: glibc keeps
/// the owner's thread id in the lock word, and the kernel sets FUTEX_OWNER_DIED in it when the
/// owner exits or is killed. A plain atomic load: no system call.
static inline int CLibEv_robust_owner_alive(pthread_mutex_t *mutex) {
    unsigned int word = __atomic_load_n((unsigned int *)&mutex->__data.__lock, __ATOMIC_ACQUIRE);
    return (word & FUTEX_TID_MASK) != 0 && (word & FUTEX_OWNER_DIED) == 0;
}

#endif
