// c-msmail: the like-for-like C receiver of scenario f. It does per datagram what the engine's
// datagram service does, written as a C programmer would, so that "ours ÷ c-msmail" measures
// our overhead and nothing else (c-recvmmsg, beside it, counts bytes and is the bare limit):
//
//   1. recvmmsg, 32 at a time, asking for each sender's address and the socket's drop counter
//      (SO_RXQ_OVFL, a control message per datagram);
//   2. the MS-MAIL checks of mailslot-spec C.3 (MailslotDatagram.decode): NetBIOS type,
//      no fragment, DGM_LENGTH, both names, the SMB header, a mailslot-write transaction, the
//      \MAILSLOT\ name, DataOffset/DataCount inside the datagram, the size limits;
//   3. the destination: this computer's or its domain's encoded name;
//   4. the mailslot: a hash of the name (case-insensitive FNV-1a), an open-addressing table
//      over the same number of mailslots as ours, then a name compare;
//   5. a call through the mailslot's function pointer with the data and the sender, which runs
//      the shared tally.
//
// Datagrams that fail a check are counted by cause, as the engine counts them.
#define _GNU_SOURCE
#include "CBaselines.h"
#include "batch.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef SO_RXQ_OVFL
#define SO_RXQ_OVFL 40
#endif

#define MSMAIL_BATCH 32
#define MSMAIL_NAME_MAX 255

typedef void (*msmail_deliver)(void *context, const unsigned char *data, size_t length, uint32_t source);

typedef struct {
    uint64_t hash;  // 0: empty
    uint16_t length;
    char name[MSMAIL_NAME_MAX + 1];  // lower case, "\mailslot\..." without the NUL
    msmail_deliver deliver;
    void *context;
} msmail_slot;

typedef struct {
    msmail_slot *slots;
    uint64_t mask;
    unsigned char computer[34], domain[34];  // first-level encoded names, no scope
    cb_msmail_counts *counts;
    uint32_t last_drop_counter;
} msmail_receiver;

static uint64_t name_hash(const unsigned char *name, size_t length) {
    uint64_t hash = 1469598103934665603ull;
    for (size_t i = 0; i < length; i++) {
        unsigned char byte = name[i];
        if (byte >= 'A' && byte <= 'Z') byte += 32;
        hash = (hash ^ byte) * 1099511628211ull;
    }
    return hash | 1;
}

// RFC 1001 first-level encoding of a 15-character name plus suffix: length 32, two letters per
// byte ('A' + nibble), the terminating zero-length label.
static void encode_name(const char *name, unsigned char suffix, unsigned char out[34]) {
    unsigned char raw[16];
    memset(raw, ' ', 15);
    for (size_t i = 0; i < 15 && name[i]; i++) raw[i] = (unsigned char)name[i];
    raw[15] = suffix;
    out[0] = 32;
    for (int i = 0; i < 16; i++) {
        out[1 + 2 * i] = (unsigned char)('A' + (raw[i] >> 4));
        out[2 + 2 * i] = (unsigned char)('A' + (raw[i] & 0x0F));
    }
    out[33] = 0;
}

static uint16_t be16(const unsigned char *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint16_t le16(const unsigned char *p) { return (uint16_t)(p[1] << 8 | p[0]); }

// A NetBIOS name at `at`: labels until a zero length, within `end`. Returns the offset after it
// or -1.
static int skip_name(const unsigned char *d, int at, int end) {
    while (at < end) {
        int length = d[at];
        if (length == 0) return at + 1;
        if (length > 63) return -1;
        at += 1 + length;
    }
    return -1;
}

static msmail_slot *find_slot(msmail_receiver *r, const unsigned char *name, size_t length) {
    uint64_t hash = name_hash(name, length);
    for (uint64_t i = hash & r->mask;; i = (i + 1) & r->mask) {
        msmail_slot *slot = &r->slots[i];
        if (slot->hash == 0) return NULL;
        if (slot->hash == hash && slot->length == length && strncasecmp(slot->name, (const char *)name, length) == 0) return slot;
    }
}

// One datagram: checks, lookup, delivery.
static void handle(msmail_receiver *r, const unsigned char *d, int count, uint32_t source) {
    cb_msmail_counts *c = r->counts;
    if (count < 14 || d[0] < 0x10 || d[0] > 0x12) { c->malformed++; return; }
    if ((d[1] & 0x01) || be16(d + 12) != 0) { c->malformed++; return; }  // fragments
    int declared = be16(d + 10);
    if (declared > count - 14) { c->malformed++; return; }
    int end = 14 + declared;
    int destination = skip_name(d, 14, end);
    int smb = destination < 0 ? -1 : skip_name(d, destination, end);
    if (smb < 0 || smb + 69 > end) { c->malformed++; return; }
    if (memcmp(d + smb, "\xFFSMB", 4) != 0 || d[smb + 4] != 0x25 || d[smb + 32] != 17 || d[smb + 59] != 3 || le16(d + smb + 61) != 1) {
        c->malformed++;
        return;
    }
    int data_count = le16(d + smb + 55), data_offset = le16(d + smb + 57), byte_count = le16(d + smb + 67);
    if (le16(d + smb + 35) != data_count || smb + 69 + byte_count > end) { c->malformed++; return; }
    int name_start = smb + 69, name_end = name_start;
    while (name_end < smb + 69 + byte_count && d[name_end] != 0) {
        if (d[name_end] >= 0x80) { c->malformed++; return; }
        name_end++;
    }
    if (name_end >= smb + 69 + byte_count || name_end - name_start <= 10 || strncasecmp((const char *)d + name_start, "\\MAILSLOT\\", 10) != 0) {
        c->malformed++;
        return;
    }
    int data_start = smb + data_offset;
    if (data_offset < 70 + (name_end - name_start) || data_start + data_count > end) { c->malformed++; return; }
    if (name_end - name_start + 1 + data_count > 443 || (d[0] != 0x10 && data_count > 424)) { c->oversize++; return; }
    // Addressed to this computer or its domain (any suffix, as the engine takes them).
    const unsigned char *to = d + destination;
    if (!(memcmp(to, r->computer, 31) == 0 || memcmp(to, r->domain, 31) == 0)) { c->wrong_destination++; return; }
    msmail_slot *slot = find_slot(r, d + name_start, (size_t)(name_end - name_start));
    if (!slot) { c->unknown_mailslot++; return; }
    slot->deliver(slot->context, d + data_start, (size_t)data_count, source);
    c->delivered++;
}

static void deliver_to_tally(void *context, const unsigned char *data, size_t length, uint32_t source) {
    (void)source;
    cb_tally_record(context, data, length, cb_now_ns());
}

typedef struct {
    msmail_receiver *receiver;
    int fd;
    struct mmsghdr headers[MSMAIL_BATCH];
    struct iovec vectors[MSMAIL_BATCH];
    struct sockaddr_in senders[MSMAIL_BATCH];
    unsigned char controls[MSMAIL_BATCH][CMSG_SPACE(sizeof(uint32_t))];
    unsigned char *buffers;
} msmail_batch;

static void receive_batches(msmail_batch *b, int drain) {
    for (int call = 0; drain || call < 4; call++) {
        for (int i = 0; i < MSMAIL_BATCH; i++) {
            b->headers[i].msg_hdr.msg_namelen = sizeof b->senders[i];
            b->headers[i].msg_hdr.msg_controllen = sizeof b->controls[i];
        }
        int n = recvmmsg(b->fd, b->headers, MSMAIL_BATCH, MSG_DONTWAIT, NULL);
        if (n <= 0) return;
        for (int i = 0; i < n; i++) {
            struct msghdr *h = &b->headers[i].msg_hdr;
            for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c)) {
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) memcpy(&b->receiver->last_drop_counter, CMSG_DATA(c), 4);
            }
            int length = (int)b->headers[i].msg_len;
            if (length > 2048) length = 2048;  // MSG_TRUNC is not asked: the buffer bounds it
            handle(b->receiver, b->vectors[i].iov_base, length, ntohl(b->senders[i].sin_addr.s_addr));
        }
        if (n < MSMAIL_BATCH) return;
    }
}

static void on_ready(void *context) { receive_batches(context, 0); }

int cb_msmail_receive(int fd, const char *prefix, int mailslots, int done_fd, cb_tally *tally, cb_msmail_counts *counts) {
    int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &on, sizeof on);
    uint64_t capacity = 16;
    while (capacity < (uint64_t)mailslots * 2) capacity *= 2;
    msmail_receiver receiver = {.mask = capacity - 1, .counts = counts};
    receiver.slots = calloc(capacity, sizeof(msmail_slot));
    msmail_batch *batch = calloc(1, sizeof(msmail_batch));
    unsigned char *buffers = malloc((size_t)MSMAIL_BATCH * 2048);
    if (!receiver.slots || !batch || !buffers) {
        free(receiver.slots);
        free(batch);
        free(buffers);
        return -ENOMEM;
    }
    encode_name("BENCH", 0, receiver.computer);
    encode_name("BENCHDOM", 0, receiver.domain);
    for (int i = 0; i < mailslots; i++) {
        char name[MSMAIL_NAME_MAX + 1];
        int length = snprintf(name, sizeof name, "\\mailslot\\%s\\%d", prefix, i);
        if (length <= 0 || length > MSMAIL_NAME_MAX) continue;
        uint64_t hash = name_hash((const unsigned char *)name, (size_t)length);
        uint64_t at = hash & receiver.mask;
        while (receiver.slots[at].hash != 0) at = (at + 1) & receiver.mask;
        msmail_slot *slot = &receiver.slots[at];
        slot->hash = hash;
        slot->length = (uint16_t)length;
        memcpy(slot->name, name, (size_t)length + 1);
        slot->deliver = deliver_to_tally;
        slot->context = tally;
    }
    batch->receiver = &receiver;
    batch->fd = fd;
    batch->buffers = buffers;
    for (int i = 0; i < MSMAIL_BATCH; i++) {
        batch->vectors[i] = (struct iovec){buffers + (size_t)i * 2048, 2048};
        batch->headers[i].msg_hdr = (struct msghdr){
            .msg_name = &batch->senders[i], .msg_namelen = sizeof batch->senders[i], .msg_iov = &batch->vectors[i], .msg_iovlen = 1,
            .msg_control = batch->controls[i], .msg_controllen = sizeof batch->controls[i]};
    }
    int status = cb_serve_until_done(fd, done_fd, on_ready, batch);
    // The writers have exited; loopback datagrams may still be in flight: drain until quiet.
    uint64_t before;
    do {
        before = tally->received;
        struct timespec pause = {0, 20 * 1000 * 1000};
        receive_batches(batch, 1);
        nanosleep(&pause, NULL);
        receive_batches(batch, 1);
    } while (tally->received != before);
    counts->kernel_drops = receiver.last_drop_counter;
    free(receiver.slots);
    free(batch);
    free(buffers);
    return status;
}
