#define _GNU_SOURCE
#include "CBaselines.h"
#include "batch.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

static int udp_bind(uint32_t host, int port, int buffer_bytes, int *bound);

int cb_udp_bind(int port, int buffer_bytes, int *bound) { return udp_bind(INADDR_LOOPBACK, port, buffer_bytes, bound); }

int cb_udp_bind_any(int port, int buffer_bytes, int *bound) { return udp_bind(INADDR_ANY, port, buffer_bytes, bound); }

static int udp_bind(uint32_t host, int port, int buffer_bytes, int *bound) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buffer_bytes, sizeof buffer_bytes) < 0) {
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer_bytes, sizeof buffer_bytes);
    }
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    address.sin_addr.s_addr = htonl(host);
    if (bind(fd, (struct sockaddr *)&address, sizeof address) < 0) {
        int code = errno;
        close(fd);
        return -code;
    }
    socklen_t length = sizeof address;
    getsockname(fd, (struct sockaddr *)&address, &length);
    *bound = ntohs(address.sin_port);
    return fd;
}

static void receive_datagrams(int fd, struct mmsghdr *headers, int batch, int payload, int drain, cb_tally *tally) {
    for (int call = 0; drain || call < 4; call++) {
        int n = recvmmsg(fd, headers, (unsigned)batch, MSG_DONTWAIT, NULL);
        if (n <= 0) return;
        for (int i = 0; i < n; i++) {
            unsigned length = headers[i].msg_len;
            const char *base = headers[i].msg_hdr.msg_iov->iov_base;
            if (length >= (unsigned)payload) cb_tally_record(tally, base + length - payload, (size_t)payload, cb_now_ns());
            headers[i].msg_len = 0;
        }
        if (n < batch) return;
    }
}

typedef struct {
    int fd, batch, payload;
    struct mmsghdr *headers;
    cb_tally *tally;
} udp_receiver;

static void on_socket_ready(void *context) {
    udp_receiver *r = context;
    receive_datagrams(r->fd, r->headers, r->batch, r->payload, 0, r->tally);
}

int cb_udp_receive(int fd, int batch, int payload, int done_fd, cb_tally *tally) {
    cb_batch scratch;
    if (cb_batch_init(&scratch, batch, 2048) < 0) return -ENOMEM;
    struct mmsghdr *headers = scratch.headers;
    udp_receiver r = {fd, batch, payload, headers, tally};
    int status = cb_serve_until_done(fd, done_fd, on_socket_ready, &r);
    // The writers have exited, but loopback datagrams may still be in flight: drain until quiet.
    uint64_t before;
    do {
        before = tally->received;
        struct timespec pause = {0, 20 * 1000 * 1000};
        receive_datagrams(fd, headers, batch, payload, 1, tally);
        nanosleep(&pause, NULL);
        receive_datagrams(fd, headers, batch, payload, 1, tally);
    } while (tally->received != before);
    cb_batch_free(&scratch);
    return status;
}

int cb_udp_blast(const char *host, int port, const unsigned char *templates, int count, int stride, const int *lengths, int payload,
                 uint32_t writer, int batch, double seconds, double rate, uint64_t max_messages, cb_send_stats *stats) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    int size = 4 << 20, on = 1;
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &on, sizeof on);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &address.sin_addr) != 1) {
        close(fd);
        return -EINVAL;
    }
    if (connect(fd, (struct sockaddr *)&address, sizeof address) < 0) {
        int code = errno;
        close(fd);
        return -code;
    }
    cb_batch datagrams;
    if (cb_batch_init(&datagrams, batch, (size_t)stride) < 0) {
        close(fd);
        return -ENOMEM;
    }
    struct iovec *vectors = datagrams.vectors;
    memset(stats, 0, sizeof *stats);
    cb_pacer pacer = {cb_now_ns(), rate};
    stats->start_ns = pacer.start_ns;
    uint64_t end = pacer.start_ns + (uint64_t)(seconds * 1e9);
    int next = 0, result = 0;
    while (cb_now_ns() < end && (max_messages == 0 || stats->attempted < max_messages)) {
        int due = cb_pacer_due(&pacer, stats->attempted, batch);
        if (due == 0) continue;
        if (max_messages > 0 && stats->attempted + (uint64_t)due > max_messages) due = (int)(max_messages - stats->attempted);
        uint64_t now = cb_now_ns();
        for (int i = 0; i < due; i++) {
            int length = lengths[next];
            memcpy(vectors[i].iov_base, templates + (size_t)next * (size_t)stride, (size_t)length);
            vectors[i].iov_len = (size_t)length;
            // Each template is one mailslot's datagram.
            cb_stamp_to((unsigned char *)vectors[i].iov_base + length - payload, writer, (uint32_t)next, (uint32_t)(stats->attempted + i), now);
            next = next + 1 == count ? 0 : next + 1;
        }
        int sent = cb_send_all(fd, datagrams.headers, due, 0, &result);
        stats->attempted += (uint64_t)due;
        stats->sent += (uint64_t)sent;
        stats->refused += (uint64_t)(due - sent);
        if (result < 0) break;
    }
    stats->end_ns = cb_now_ns();
    cb_batch_free(&datagrams);
    close(fd);
    return result;
}

uint64_t cb_udp_kernel_drops(void) {
    FILE *f = fopen("/proc/net/snmp", "r");
    if (!f) return 0;
    char line[1024];
    int seen = 0;
    uint64_t drops = 0;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "Udp: ", 5) != 0) continue;
        if (++seen < 2) continue;  // the first Udp: line holds the field names
        unsigned long long in, noports, inerrors, out, rcvbuf;
        if (sscanf(line + 5, "%llu %llu %llu %llu %llu", &in, &noports, &inerrors, &out, &rcvbuf) == 5) {
            drops = (uint64_t)inerrors;  // InErrors counts RcvbufErrors (and checksum errors) already
        }
        break;
    }
    fclose(f);
    return drops;
}
