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
// - sys/epoll.h is not in the Glibc module: the C library's readiness descriptors (an epoll set
//   per server handle) use it through this header.
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
#include <sys/epoll.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>
#include <errno.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>

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
static inline void CLibEv_prepare_init(ev_prepare *w, void (*cb)(struct ev_loop *, ev_prepare *, int)) { ev_prepare_init(w, cb); }
static inline void *CLibEv_prepare_data(const ev_prepare *w) { return w->data; }
static inline void CLibEv_prepare_set_data(ev_prepare *w, void *data) { w->data = data; }
static inline int CLibEv_prepare_is_active(const ev_prepare *w) { return ev_is_active(w); }
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
// accept4(2) is _GNU_SOURCE too (the metrics endpoint takes connections non-blocking, close-on-exec).
extern int CLibEv_accept4(int fd, struct sockaddr *address, socklen_t *length, int flags) __asm__("accept4");

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

/// The uid, gid and pid of the process that made the socket at the other end of `fd`
/// (`SO_PEERCRED`). Returns 0, or -1 with errno set.
static inline int CLibEv_peer_credentials(int fd, unsigned int *uid, unsigned int *gid, int *pid) {
    struct { int pid; unsigned int uid; unsigned int gid; } cred;
    socklen_t length = sizeof(cred);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &length) != 0) return -1;
    *uid = cred.uid;
    *gid = cred.gid;
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


/// SCM_CREDENTIALS (glibc hides it without _GNU_SOURCE).
enum { CLibEv_SCM_CREDENTIALS = 0x02 };

/// Room for the sender's credentials a socket with SO_PASSCRED receives with each message.
static inline size_t CLibEv_cmsg_space_credentials(void) { return CMSG_SPACE(3 * sizeof(int)); }

/// The sender's uid and gid from a received message's SCM_CREDENTIALS (the kernel fills them in:
/// an unprivileged sender cannot claim another's). Returns 1 when present, else 0.
static inline int CLibEv_cmsg_get_credentials(struct msghdr *msg, unsigned int *uid, unsigned int *gid) {
    for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == CLibEv_SCM_CREDENTIALS && c->cmsg_len >= CMSG_LEN(3 * sizeof(int))) {
            int values[3];
            memcpy(values, CMSG_DATA(c), sizeof values);
            *uid = (unsigned int)values[1];
            *gid = (unsigned int)values[2];
            return 1;
        }
    }
    return 0;
}

/// 1 when a received message carries descriptors (SCM_RIGHTS), else 0.
static inline int CLibEv_cmsg_has_fds(struct msghdr *msg) {
    for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) return 1;
    }
    return 0;
}

/// UDIAG_SHOW_PEER and UDIAG_SHOW_UID (linux/unix_diag.h), for Swift.
enum { CLibEv_UDIAG_SHOW_PEER = 0x00000004, CLibEv_UDIAG_SHOW_UID = 0x00000040 };

/// Asks the kernel (sock_diag, one exact request) about the AF_UNIX socket with inode `inode`;
/// `show` is a UDIAG_SHOW_* mask. Fills `*peer` (the inode of the socket it is connected to)
/// and `*uid` (its owner) when asked and present. Returns 0, or -errno. Waits at most a second.
static inline int CLibEv_unix_diag(uint32_t inode, uint32_t show, uint32_t *peer, uint32_t *uid) {
    int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (fd < 0) return -errno;
    struct timeval limit = {.tv_sec = 1};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    struct {
        struct nlmsghdr header;
        struct unix_diag_req request;
    } message;
    memset(&message, 0, sizeof message);
    message.header.nlmsg_len = sizeof message;
    message.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    message.header.nlmsg_flags = NLM_F_REQUEST;
    message.header.nlmsg_seq = 1;
    message.request.sdiag_family = AF_UNIX;
    message.request.udiag_states = ~0u;
    message.request.udiag_ino = inode;
    message.request.udiag_show = show;
    message.request.udiag_cookie[0] = ~0u;
    message.request.udiag_cookie[1] = ~0u;
    struct sockaddr_nl kernel;
    memset(&kernel, 0, sizeof kernel);
    kernel.nl_family = AF_NETLINK;
    if (sendto(fd, &message, sizeof message, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) {
        int code = errno;
        close(fd);
        return -code;
    }
    long buffer[1024];
    ssize_t length = recv(fd, buffer, sizeof buffer, 0);
    int code = length < 0 ? errno : 0;
    close(fd);
    if (length < 0) return -code;
    struct nlmsghdr *header = (struct nlmsghdr *)buffer;
    if (!NLMSG_OK(header, (size_t)length)) return -EPROTO;
    if (header->nlmsg_type == NLMSG_ERROR) {
        struct nlmsgerr *error = (struct nlmsgerr *)NLMSG_DATA(header);
        return error->error != 0 ? error->error : -EPROTO;
    }
    if (header->nlmsg_type != SOCK_DIAG_BY_FAMILY) return -EPROTO;
    struct unix_diag_msg *answer = (struct unix_diag_msg *)NLMSG_DATA(header);
    if (answer->udiag_ino != inode) return -EPROTO;
    int remaining = (int)header->nlmsg_len - (int)NLMSG_LENGTH(sizeof *answer);
    for (struct rtattr *attribute = (struct rtattr *)(answer + 1); RTA_OK(attribute, remaining);
         attribute = RTA_NEXT(attribute, remaining)) {
        if (attribute->rta_type == UNIX_DIAG_PEER && RTA_PAYLOAD(attribute) >= 4) memcpy(peer, RTA_DATA(attribute), 4);
        if (attribute->rta_type == UNIX_DIAG_UID && RTA_PAYLOAD(attribute) >= 4) memcpy(uid, RTA_DATA(attribute), 4);
    }
    return 0;
}

#endif
