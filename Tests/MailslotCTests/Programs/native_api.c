/* The native API, one case per run: `native_api CASE NAME-PREFIX` prints "PASS" (exit 0) or
 * what differed (exit 1). Built by the tests against the installed <mailslot/mailslot.h>. */
#include <mailslot/mailslot.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char name[200];
static int failures;

#define CHECK(cond, ...) do { if (!(cond)) { printf("FAIL line %d: ", __LINE__); printf(__VA_ARGS__); \
    printf(" [%s]\n", msl_error_detail()); failures++; } } while (0)
#define OK(call) do { int rc_ = (call); CHECK(rc_ == MSL_OK, "%s returned %d (%s)", #call, rc_, msl_strerror(rc_)); } while (0)

static int readable(int fd, int ms) {
    struct pollfd entry = {.fd = fd, .events = POLLIN};
    return poll(&entry, 1, ms) == 1 && (entry.revents & POLLIN);
}

static void poll_descriptor(void) {
    for (int shared = 0; shared < 2; shared++) {
        struct msl_slot_options options;
        msl_slot_options_init(&options);
        options.shared_memory_bytes = shared ? 1 << 16 : 0;
        char slot_name[220];
        snprintf(slot_name, sizeof slot_name, "%s%d", name, shared);
        msl_slot *slot;
        msl_writer *writer;
        int fd = -1;
        char buf[64];
        OK(msl_slot_create(&slot, slot_name, &options));
        OK(msl_slot_fd(slot, &fd));
        OK(msl_writer_open(&writer, slot_name));
        CHECK(!readable(fd, 0), "shared %d: readable while empty", shared);
        OK(msl_send(writer, "one", 3));
        OK(msl_send(writer, "two", 3));
        CHECK(readable(fd, 2000), "shared %d: not readable with two queued", shared);
        for (int i = 0; i < 2; i++) {
            size_t len = sizeof buf;
            OK(msl_recv_timeout(slot, buf, &len, 0));
            CHECK(len == 3 && memcmp(buf, i ? "two" : "one", 3) == 0, "shared %d: message %d", shared, i);
            CHECK(readable(fd, 0) == (i == 0), "shared %d: readable %d after %d reads", shared, readable(fd, 0), i + 1);
        }
        size_t len = sizeof buf;
        CHECK(msl_recv_timeout(slot, buf, &len, 0) == MSL_ETIMEDOUT, "shared %d: an empty poll", shared);
        CHECK(!readable(fd, 50), "shared %d: readable after the queue emptied", shared);
        OK(msl_send(writer, "three", 5));
        CHECK(readable(fd, 2000), "shared %d: not readable again", shared);
        msl_writer_close(writer);
        msl_slot_close(slot);
    }
}

static void short_buffer_reports_size(void) {
    msl_slot *slot;
    msl_writer *writer;
    char buf[64];
    OK(msl_slot_create(&slot, name, NULL));
    OK(msl_writer_open(&writer, name));
    OK(msl_send(writer, "0123456789", 10));
    size_t len = 4;
    CHECK(msl_recv_timeout(slot, buf, &len, 0) == MSL_EMSGSIZE && len == 10, "want MSL_EMSGSIZE and 10, got len %zu", len);
    len = 0;
    CHECK(msl_recv_timeout(slot, NULL, &len, 0) == MSL_EMSGSIZE && len == 10, "a size query with a NULL buffer");
    struct msl_slot_info info;
    OK(msl_slot_info(slot, &info));
    CHECK(info.next_size == 10 && info.msg_count == 1 && info.read_timeout_ms == MSL_WAIT_FOREVER, "info after");
    len = sizeof buf;
    OK(msl_recv(slot, buf, &len));
    CHECK(len == 10, "len %zu", len);
    OK(msl_slot_info(slot, &info));
    CHECK(info.next_size == MSL_NO_MESSAGE && info.msg_count == 0, "empty info");
    OK(msl_slot_set_timeout(slot, 30));
    OK(msl_slot_info(slot, &info));
    CHECK(info.read_timeout_ms == 30, "timeout %d", info.read_timeout_ms);
    len = sizeof buf;
    CHECK(msl_recv(slot, buf, &len) == MSL_ETIMEDOUT, "the slot's timeout");
    CHECK(msl_slot_set_timeout(slot, -5) == MSL_EINVAL, "a timeout of -5");
}

static void batch_write_in_order(void) {
    msl_slot *slot;
    msl_writer *writer;
    enum { N = 100 };
    char texts[N][8];
    struct msl_message messages[N];
    OK(msl_slot_create(&slot, name, NULL));
    OK(msl_writer_open(&writer, name));
    for (int i = 0; i < N; i++) {
        messages[i].len = (size_t)snprintf(texts[i], sizeof texts[i], "m%d", i);
        messages[i].data = texts[i];
    }
    size_t sent = 0;
    OK(msl_send_batch(writer, messages, N, &sent, 2000));
    CHECK(sent == N, "sent %zu", sent);
    for (int i = 0; i < N; i++) {
        char buf[16];
        size_t len = sizeof buf;
        OK(msl_recv_timeout(slot, buf, &len, 0));
        CHECK(len == messages[i].len && memcmp(buf, texts[i], len) == 0, "message %d", i);
    }
    struct msl_slot_options options;
    msl_slot_options_init(&options);
    options.max_msg_size = 2;
    msl_slot *small;
    char small_name[220];
    snprintf(small_name, sizeof small_name, "%ssmall", name);
    OK(msl_slot_create(&small, small_name, &options));
    msl_writer *small_writer;
    OK(msl_writer_open(&small_writer, small_name));
    CHECK(msl_send_batch(small_writer, messages, N, &sent, 2000) == MSL_EINVAL && sent == 10, "stops at m10 (3 bytes of 2): sent %zu", sent);
    CHECK(msl_send(small_writer, "123", 3) == MSL_EINVAL, "a message over the maximum");
}

static void stale_and_foreign_handles(void) {
    msl_slot *slot;
    msl_writer *writer;
    char buf[8];
    size_t len = sizeof buf;
    struct msl_slot_info info;
    int fd;
    OK(msl_slot_create(&slot, name, NULL));
    OK(msl_writer_open(&writer, name));
    msl_slot *bad[] = {NULL, (msl_slot *)(uintptr_t)-1, (msl_slot *)&len, (msl_slot *)writer, (msl_slot *)(uintptr_t)0x4D53000001000003ULL};
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(msl_recv_timeout(bad[i], buf, &len, 0) == MSL_EBADHANDLE, "recv bad[%u]", i);
        CHECK(msl_slot_info(bad[i], &info) == MSL_EBADHANDLE, "info bad[%u]", i);
        CHECK(msl_slot_fd(bad[i], &fd) == MSL_EBADHANDLE, "fd bad[%u]", i);
        CHECK(msl_slot_close(bad[i]) == MSL_EBADHANDLE, "close bad[%u]", i);
        msl_writer *as_writer = i == 3 ? (msl_writer *)slot : (msl_writer *)bad[i];  /* a slot is no writer */
        CHECK(msl_send(as_writer, "x", 1) == MSL_EBADHANDLE, "send bad[%u]", i);
    }
    CHECK(msl_recv_timeout(slot, buf, NULL, 0) == MSL_EINVAL, "NULL len");
    CHECK(msl_slot_info(slot, NULL) == MSL_EINVAL, "NULL info");
    CHECK(msl_slot_create(NULL, name, NULL) == MSL_EINVAL, "NULL out");
    CHECK(msl_slot_create(&slot, NULL, NULL) == MSL_ENOPATH, "NULL name");
    CHECK(msl_slot_create(&slot, name, NULL) == MSL_EEXIST && slot == NULL, "a second create");
    CHECK(strlen(msl_error_detail()) > 0, "no detail after a failure");
    CHECK(msl_writer_open(&writer, "\\\\.\\mailslot\\no_such_slot_here") == MSL_ENOENT, "open of a missing name");
    CHECK(msl_writer_open(&writer, "\\\\.\\nope\\x") == MSL_ENAME, "a bad name");
    for (int code = -1; code < 2000; code++) CHECK(msl_strerror(code) != NULL, "strerror %d", code);
    CHECK(strstr(msl_strerror(MSL_ETIMEDOUT), "ERROR_SEM_TIMEOUT") != NULL, "strerror text");
    CHECK(strcmp(msl_version(), MSL_VERSION_STRING) == 0, "version %s, header %s", msl_version(), MSL_VERSION_STRING);
    CHECK(msl_network_set("no-such-key", "1") == MSL_EINVAL, "an unknown setting");
    CHECK(msl_network_set("udp-port", "0") == MSL_EINVAL, "port 0");
    CHECK(msl_network_set(NULL, "x") == MSL_EINVAL, "NULL key");
    OK(msl_network_set("computer-name", "CTEST"));
    OK(msl_network_reset());
}

static msl_slot *shared_slot;
static int waiter_result = -1;
static void *blocked_reader(void *unused) {
    (void)unused;
    char buf[8];
    size_t len = sizeof buf;
    waiter_result = msl_recv_timeout(shared_slot, buf, &len, MSL_WAIT_FOREVER);
    return NULL;
}

static void close_wakes_waiting_reader(void) {
    pthread_t thread;
    OK(msl_slot_create(&shared_slot, name, NULL));
    pthread_create(&thread, NULL, blocked_reader, NULL);
    usleep(100 * 1000);
    OK(msl_slot_close(shared_slot));
    pthread_join(thread, NULL);
    CHECK(waiter_result == MSL_ECANCELED, "the waiting read returned %d", waiter_result);
}

/* 4 reader threads (one per slot) and 4 writer threads (each writes to every slot), all at
 * once; writers also ask the slots for their info. Every message arrives once, in order per
 * writer. */
enum { SLOTS = 4, WRITERS = 4, PER_WRITER = 2000 };
static msl_slot *slots[SLOTS];
static char slot_names[SLOTS][220];
static int reader_errors, writer_errors;
static pthread_mutex_t counts_lock = PTHREAD_MUTEX_INITIALIZER;

static void *reader_thread(void *arg) {
    int index = (int)(intptr_t)arg;
    int next[WRITERS] = {0};
    for (int got = 0; got < WRITERS * PER_WRITER;) {
        char buf[32];
        size_t len = sizeof buf - 1;
        int rc = msl_recv_timeout(slots[index], buf, &len, 10000);
        if (rc != MSL_OK) { pthread_mutex_lock(&counts_lock); reader_errors++; pthread_mutex_unlock(&counts_lock); return NULL; }
        buf[len] = 0;
        int writer = 0, sequence = 0;
        sscanf(buf, "%d:%d", &writer, &sequence);
        if (writer < 0 || writer >= WRITERS || sequence != next[writer]) {
            pthread_mutex_lock(&counts_lock); reader_errors++; pthread_mutex_unlock(&counts_lock);
        }
        if (writer >= 0 && writer < WRITERS) next[writer] = sequence + 1;
        got++;
    }
    return NULL;
}

static void *writer_thread(void *arg) {
    int me = (int)(intptr_t)arg;
    msl_writer *writers[SLOTS];
    for (int s = 0; s < SLOTS; s++) {
        if (msl_writer_open(&writers[s], slot_names[s]) != MSL_OK) { writer_errors++; return NULL; }
    }
    for (int i = 0; i < PER_WRITER; i++) {
        for (int s = 0; s < SLOTS; s++) {
            char text[32];
            int n = snprintf(text, sizeof text, "%d:%d", me, i);
            int rc;
            while ((rc = msl_send(writers[s], text, (size_t)n)) == MSL_EQUOTA) usleep(100);
            if (rc != MSL_OK) { pthread_mutex_lock(&counts_lock); writer_errors++; pthread_mutex_unlock(&counts_lock); }
        }
        if (i % 500 == 0) {
            struct msl_slot_info info;
            if (msl_slot_info(slots[i % SLOTS], &info) != MSL_OK) { pthread_mutex_lock(&counts_lock); writer_errors++; pthread_mutex_unlock(&counts_lock); }
        }
    }
    for (int s = 0; s < SLOTS; s++) msl_writer_close(writers[s]);
    return NULL;
}

static void threads_read_and_write(void) {
    pthread_t readers[SLOTS], writers[WRITERS];
    for (int s = 0; s < SLOTS; s++) {
        snprintf(slot_names[s], sizeof slot_names[s], "%s%d", name, s);
        OK(msl_slot_create(&slots[s], slot_names[s], NULL));
    }
    for (int s = 0; s < SLOTS; s++) pthread_create(&readers[s], NULL, reader_thread, (void *)(intptr_t)s);
    for (int w = 0; w < WRITERS; w++) pthread_create(&writers[w], NULL, writer_thread, (void *)(intptr_t)w);
    for (int w = 0; w < WRITERS; w++) pthread_join(writers[w], NULL);
    for (int s = 0; s < SLOTS; s++) pthread_join(readers[s], NULL);
    CHECK(reader_errors == 0 && writer_errors == 0, "%d reader and %d writer errors", reader_errors, writer_errors);
    for (int s = 0; s < SLOTS; s++) OK(msl_slot_close(slots[s]));
}

static void fork_child_uses_library(void) {
    msl_slot *parent_slot;
    msl_writer *parent_writer;
    char buf[64];
    size_t len;
    OK(msl_slot_create(&parent_slot, name, NULL));
    OK(msl_writer_open(&parent_writer, name));
    OK(msl_send(parent_writer, "before fork", 11));
    pid_t child = fork();
    if (child == 0) {
        int bad = 0;
        char child_name[220];
        msl_slot *mine;
        msl_writer *to_mine, *to_parent;
        len = sizeof buf;
        if (msl_recv_timeout(parent_slot, buf, &len, 0) != MSL_EBADHANDLE) bad |= 1;
        snprintf(child_name, sizeof child_name, "%schild", name);
        if (msl_slot_create(&mine, child_name, NULL) != MSL_OK) bad |= 2;
        if (msl_writer_open(&to_mine, child_name) != MSL_OK) bad |= 4;
        if (msl_send(to_mine, "to child", 8) != MSL_OK) bad |= 8;
        len = sizeof buf;
        if (msl_recv_timeout(mine, buf, &len, 1000) != MSL_OK || len != 8) bad |= 16;
        if (msl_send(parent_writer, "inherited writer", 16) != MSL_OK) bad |= 32;
        if (msl_writer_open(&to_parent, name) != MSL_OK || msl_send(to_parent, "from child", 10) != MSL_OK) bad |= 64;
        if (msl_slot_close(parent_slot) != MSL_EBADHANDLE) bad |= 128;
        _exit(bad);
    }
    int status = 0;
    waitpid(child, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child failed steps %#x", WEXITSTATUS(status));
    const char *expected[] = {"before fork", "inherited writer", "from child"};
    int fd;
    OK(msl_slot_fd(parent_slot, &fd));
    CHECK(readable(fd, 1000), "the parent's descriptor after the child exited");
    for (int i = 0; i < 3; i++) {
        len = sizeof buf;
        OK(msl_recv_timeout(parent_slot, buf, &len, 1000));
        CHECK(len == strlen(expected[i]) && memcmp(buf, expected[i], len) == 0, "message %d: %.*s", i, (int)len, buf);
    }
    OK(msl_send(parent_writer, "after", 5));
    CHECK(readable(fd, 1000), "the parent's descriptor works after the child's exit");
}

static void signals_left_alone(void) {
    struct sigaction before_pipe, before_child, after_pipe, after_child;
    sigaction(SIGPIPE, NULL, &before_pipe);
    sigaction(SIGCHLD, NULL, &before_child);
    struct msl_slot_options options;
    msl_slot_options_init(&options);
    options.shared_memory_bytes = 1 << 16;
    msl_slot *slot;
    msl_writer *writer;
    OK(msl_slot_create(&slot, name, &options));
    OK(msl_writer_open(&writer, name));
    OK(msl_send(writer, "x", 1));
    OK(msl_slot_close(slot));
    int rc = MSL_OK;
    for (int i = 0; i < 10 && rc == MSL_OK; i++) rc = msl_send(writer, "after close", 11);
    CHECK(rc == MSL_ECLOSED, "a write to a closed reader returned %d", rc);
    sigaction(SIGPIPE, NULL, &after_pipe);
    sigaction(SIGCHLD, NULL, &after_child);
    CHECK(before_pipe.sa_handler == after_pipe.sa_handler && after_pipe.sa_handler == SIG_DFL, "SIGPIPE's handler changed");
    CHECK(before_child.sa_handler == after_child.sa_handler, "SIGCHLD's handler changed");
}

/* A writer access list through the native API: a user on the list writes, another is refused at
 * open with MSL_EACCES (children that drop root to each uid; the test runs as root). */
static int write_as(uid_t uid) {
    pid_t child = fork();
    if (child == 0) {
        msl_writer *writer;
        if (setgid(uid) != 0 || setuid(uid) != 0) _exit(90);
        int code = msl_writer_open(&writer, name);
        if (code == MSL_OK) code = msl_send(writer, "listed", 6);
        _exit(code == MSL_OK ? 0 : code == MSL_EACCES ? 5 : 91);
    }
    int status = 0;
    waitpid(child, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void access_list_admits_only_listed(void) {
    if (geteuid() != 0) { printf("(not root: the case needs other users)\n"); return; }
    uint32_t listed = 47001;
    struct msl_slot_options options;
    msl_slot_options_init(&options);
    options.writer_uids = &listed;
    options.writer_uid_count = 1;
    msl_slot *slot;
    OK(msl_slot_create(&slot, name, &options));
    CHECK(write_as(47001) == 0, "the listed uid could not write");
    CHECK(write_as(47002) == 5, "an unlisted uid was not refused with MSL_EACCES");
    char buf[16];
    size_t len = sizeof buf;
    OK(msl_recv_timeout(slot, buf, &len, 1000));
    CHECK(len == 6 && memcmp(buf, "listed", 6) == 0, "the listed writer's message");
    len = sizeof buf;
    CHECK(msl_recv_timeout(slot, buf, &len, 0) == MSL_ETIMEDOUT, "more than the listed writer's message");
}

static void handle_table_has_no_small_cap(void) {
    enum { N = 5000 };
    msl_slot *slot;
    static msl_writer *writers[N];
    OK(msl_slot_create(&slot, name, NULL));
    int opened = 0;
    for (int i = 0; i < N; i++) if (msl_writer_open(&writers[i], name) == MSL_OK) opened++;
    CHECK(opened == N, "%d of %d writers opened", opened, N);
    for (int i = 0; i < N; i++) msl_writer_close(writers[i]);
}

static const struct { const char *name; void (*run)(void); } cases[] = {
    {"poll_descriptor", poll_descriptor},
    {"short_buffer_reports_size", short_buffer_reports_size},
    {"batch_write_in_order", batch_write_in_order},
    {"stale_and_foreign_handles", stale_and_foreign_handles},
    {"close_wakes_waiting_reader", close_wakes_waiting_reader},
    {"threads_read_and_write", threads_read_and_write},
    {"fork_child_uses_library", fork_child_uses_library},
    {"signals_left_alone", signals_left_alone},
    {"handle_table_has_no_small_cap", handle_table_has_no_small_cap},
    {"access_list_admits_only_listed", access_list_admits_only_listed},
};

int main(int argc, char *argv[]) {
    if (argc < 3) {
        for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) printf("%s\n", cases[i].name);
        return 2;
    }
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (strcmp(argv[1], cases[i].name) != 0) continue;
        snprintf(name, sizeof name, "\\\\.\\mailslot\\%s_%s", argv[2], cases[i].name);
        cases[i].run();
        printf(failures ? "FAILED\n" : "PASS\n");
        return failures ? 1 : 0;
    }
    printf("no case %s\n", argv[1]);
    return 2;
}
