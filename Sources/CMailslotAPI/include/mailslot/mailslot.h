/*
 * <mailslot/mailslot.h>: the native C API of libmailslot.
 *
 * A mailslot is a named, one-way queue of whole messages. One process creates it and is its
 * only reader (an msl_slot); any process that knows the name writes to it (an msl_writer):
 *
 *   \\.\mailslot\[path\]name   a mailslot on this computer ("name" alone means the same)
 *   \\host\mailslot\name       one remote computer (MS-MAIL over UDP 138, as Windows does)
 *   \\domain\mailslot\name     every same-named mailslot of a domain (broadcast, <= 424 bytes)
 *   \\*\mailslot\name          every same-named mailslot of the primary domain
 *
 * Conventions
 *   - Every function returns 0 (MSL_OK) or an error code, which is the Win32 error code of the
 *     same failure (MSL_ETIMEDOUT == ERROR_SEM_TIMEOUT == 121, ...). msl_strerror() names it;
 *     msl_error_detail() gives this thread's last failure in words. errno is left alone.
 *   - Lengths are size_t in/out; timeouts are milliseconds, 0 polls, MSL_WAIT_FOREVER waits.
 *   - Handles (msl_slot *, msl_writer *) are opaque values, not pointers to memory: a closed,
 *     stale or made-up handle gives MSL_EBADHANDLE and never crashes.
 *   - Thread-safe: any thread may call any function on any handle. A blocking receive blocks
 *     only its caller; receives on different slots run in parallel; msl_slot_close() from
 *     another thread makes a waiting receive return MSL_ECANCELED.
 *   - The library installs no signal handler, prints nothing, and leaves SIGPIPE and SIGCHLD
 *     alone. Its log lines go to msl_set_log_handler()'s handler, or nowhere.
 *   - fork(): the child may create, open, write and read as usual. A slot the parent created is
 *     the parent's: in the child it gives MSL_EBADHANDLE (close it to free the child's copy).
 *     Writers stay usable in the child.
 *
 * Link with: pkg-config --cflags --libs mailslot
 */
#ifndef MAILSLOT_MAILSLOT_H
#define MAILSLOT_MAILSLOT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The version of these headers; msl_version() gives the library's. */
#define MSL_VERSION_MAJOR 0
#define MSL_VERSION_MINOR 9
#define MSL_VERSION_PATCH 0
#define MSL_VERSION_STRING "0.9.0"

/* Error codes: Win32's values. */
#define MSL_OK             0    /* ERROR_SUCCESS */
#define MSL_ENOENT         2    /* ERROR_FILE_NOT_FOUND: no local mailslot has the name */
#define MSL_ENOPATH        3    /* ERROR_PATH_NOT_FOUND: a NULL name */
#define MSL_EACCES         5    /* ERROR_ACCESS_DENIED: not allowed to write, or wrong handle kind */
#define MSL_EBADHANDLE     6    /* ERROR_INVALID_HANDLE: closed, stale or unknown handle */
#define MSL_ESYS           31   /* ERROR_GEN_FAILURE: an unexpected system error */
#define MSL_ENOTSUP        50   /* ERROR_NOT_SUPPORTED */
#define MSL_ENETPATH       53   /* ERROR_BAD_NETPATH: unknown computer, or > 424 bytes to a domain */
#define MSL_EINVAL         87   /* ERROR_INVALID_PARAMETER: a bad argument, a message over the maximum */
#define MSL_ECLOSED        109  /* ERROR_BROKEN_PIPE: the reader closed or exited */
#define MSL_ETIMEDOUT      121  /* ERROR_SEM_TIMEOUT: no message within the timeout */
#define MSL_EMSGSIZE       122  /* ERROR_INSUFFICIENT_BUFFER: *len now holds the size needed */
#define MSL_ENAME          123  /* ERROR_INVALID_NAME: not a mailslot name */
#define MSL_EBUSY          170  /* ERROR_BUSY */
#define MSL_EEXIST         183  /* ERROR_ALREADY_EXISTS: a live mailslot has the name */
#define MSL_ECANCELED      995  /* ERROR_OPERATION_ABORTED: closed during the call */
#define MSL_ERESOURCES     1450 /* ERROR_NO_SYSTEM_RESOURCES: out of descriptors or memory */
#define MSL_EQUOTA         1816 /* ERROR_NOT_ENOUGH_QUOTA: the reader's queue is full now */

#define MSL_WAIT_FOREVER   (-1)
/* msl_slot_info.next_size when no message is queued (Win32 MAILSLOT_NO_MESSAGE). */
#define MSL_NO_MESSAGE     SIZE_MAX

typedef struct msl_slot msl_slot;       /* a mailslot this process created: the reader */
typedef struct msl_writer msl_writer;   /* an opened name: a writer */

/* How to create a mailslot. Fill with msl_slot_options_init(), then change what you need. */
struct msl_slot_options {
    uint32_t max_msg_size;          /* largest message writers may send; 0: any (up to 64 KiB) */
    int32_t read_timeout_ms;        /* msl_recv()'s wait on an empty slot; default MSL_WAIT_FOREVER */
    size_t shared_memory_bytes;     /* > 0: also offer a shared-memory ring of this size to
                                       writers of the same user (no system call per message) */
    const uint32_t *writer_uids;    /* who may write, besides the creator: these users... */
    size_t writer_uid_count;
    const uint32_t *writer_gids;    /* ...and these groups. Both counts 0: anyone may write */
    size_t writer_gid_count;
};

/* What GetMailslotInfo reports. */
struct msl_slot_info {
    uint32_t max_msg_size;          /* as created (0: any) */
    size_t next_size;               /* size of the next message, MSL_NO_MESSAGE when empty;
                                       0 for a queued zero-length message */
    size_t msg_count;               /* messages queued, zero-length ones included */
    int32_t read_timeout_ms;        /* the current read timeout */
};

/* One message of msl_send_batch(). */
struct msl_message {
    const void *data;
    size_t len;
};

/* Sets every option to its default (no maximum, wait forever, no shared memory, anyone). */
void msl_slot_options_init(struct msl_slot_options *options);

/* Creates a mailslot named `name` (`\\.\mailslot\x`, or `x`) and stores its handle in *slot.
 * options may be NULL (the defaults). MSL_EEXIST when a live mailslot has the name, in this
 * process or another; MSL_ENAME for a remote or malformed name. */
int msl_slot_create(msl_slot **slot, const char *name, const struct msl_slot_options *options);

/* Receives one whole message into buf. On entry *len is buf's size; on return it is the
 * message's size. A message larger than *len stays queued: MSL_EMSGSIZE, and *len is the size
 * needed. An empty slot waits for the slot's read timeout, then MSL_ETIMEDOUT. */
int msl_recv(msl_slot *slot, void *buf, size_t *len);

/* As msl_recv(), waiting at most timeout_ms (0: poll; MSL_WAIT_FOREVER) instead. */
int msl_recv_timeout(msl_slot *slot, void *buf, size_t *len, int32_t timeout_ms);

/* Fills *info (GetMailslotInfo). Messages the kernel holds for the slot are counted. */
int msl_slot_info(msl_slot *slot, struct msl_slot_info *info);

/* Sets the read timeout of later receives (SetMailslotInfo): 0, N ms, or MSL_WAIT_FOREVER. */
int msl_slot_set_timeout(msl_slot *slot, int32_t read_timeout_ms);

/* Stores in *fd a descriptor that is readable while a message is queued, for poll(2),
 * epoll(7), libev or libuv. Read nothing from it: call msl_recv_timeout(..., 0) when it is
 * readable (it may wake for a datagram the slot then refuses; that receive says so). The
 * descriptor belongs to the slot and stays valid until msl_slot_close(). */
int msl_slot_fd(msl_slot *slot, int *fd);

/* Closes the slot: unread messages are dropped and the name is free at once. A receive
 * waiting on another thread returns MSL_ECANCELED. */
int msl_slot_close(msl_slot *slot);

/* Opens any mailslot name for writing. A local name needs a live reader (else MSL_ENOENT);
 * remote and domain names always open (datagrams are not acknowledged). */
int msl_writer_open(msl_writer **writer, const char *name);

/* Writes one message of len bytes (len may be 0). Never blocks: MSL_EQUOTA when the reader's
 * queue is full now, MSL_EINVAL over the slot's maximum, MSL_ECLOSED once the reader is gone.
 * A local reader's kernel queue holds 10 datagrams until its process moves them into its
 * queue (at once, on a thread of its own): a writer faster than that meets MSL_EQUOTA for a
 * moment. msl_send_timeout() waits for room instead. */
int msl_send(msl_writer *writer, const void *buf, size_t len);

/* As msl_send(), waiting up to timeout_ms for room (0: not at all; MSL_WAIT_FOREVER). */
int msl_send_timeout(msl_writer *writer, const void *buf, size_t len, int32_t timeout_ms);

/* Writes count messages in order with as few system calls as it takes (sendmmsg, or the shared
 * memory ring), waiting up to timeout_ms in all for room. *sent (may be NULL) says how many
 * went; on failure the error is the first message's that did not. */
int msl_send_batch(msl_writer *writer, const struct msl_message *messages, size_t count, size_t *sent,
                   int32_t timeout_ms);

/* Closes the writer. */
int msl_writer_close(msl_writer *writer);

/* Network settings for remote and domain names, process-wide, used by writers opened later.
 * Keys, as in mailslot's configuration file: "computer-name", "domain", "broadcast" (IPv4
 * addresses, comma-separated), "hosts-file" (lines of "address name"), "udp-port" (138),
 * "nbns-port", "nbns-attempts", "nbns-interval" (name queries), "send-through-service"
 * (yes/no: hand datagrams to this host's `mailslot relay` when it runs). MSL_EINVAL names a
 * bad key or value in msl_error_detail(). */
int msl_network_set(const char *key, const char *value);

/* Forgets every msl_network_set(): back to the system's settings (smb.conf, the host name). */
int msl_network_reset(void);

/* The text of an error code ("ERROR_SEM_TIMEOUT: ..."); never NULL, static storage. */
const char *msl_strerror(int error);

/* This thread's last failure in words (what, which name, which size), or "" after success.
 * Valid until this thread's next call into the library. */
const char *msl_error_detail(void);

/* The library's version, "MAJOR.MINOR.PATCH". */
const char *msl_version(void);

/* Log levels of msl_set_log_handler(). */
#define MSL_LOG_DEBUG   1
#define MSL_LOG_INFO    2
#define MSL_LOG_WARNING 4
#define MSL_LOG_ERROR   5

/* Sends the library's log lines at min_level and above to handler(level, line, context), on
 * whichever thread logs. NULL (the default) drops them. Affects slots created afterwards. */
typedef void (*msl_log_handler)(int level, const char *line, void *context);
void msl_set_log_handler(msl_log_handler handler, void *context, int min_level);

#ifdef __cplusplus
}
#endif
#endif /* MAILSLOT_MAILSLOT_H */
