#define _GNU_SOURCE
#include "CBaselines.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <sched.h>
#include <stdio.h>
#include <unistd.h>

int cb_pacer_due(const cb_pacer *pacer, uint64_t attempted, int batch) {
    if (pacer->rate <= 0) return batch;
    uint64_t now = cb_now_ns();
    double elapsed = (double)(now - pacer->start_ns) / 1e9;
    double due = pacer->rate * elapsed - (double)attempted;
    if (due >= 1) return due >= batch ? batch : (int)due;
    // Sleep until the next message is due (at least ~20 µs: the scheduler's grain here).
    double wait = (1 - due) / pacer->rate;
    if (wait > 0.002) wait = 0.002;
    struct timespec ts = {0, (long)(wait * 1e9)};
    nanosleep(&ts, NULL);
    return 0;
}

int cb_pin_cpu(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof set, &set);
}

uint64_t cb_rss_bytes(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return 0;
    unsigned long size = 0, resident = 0;
    int n = fscanf(f, "%lu %lu", &size, &resident);
    fclose(f);
    return n == 2 ? (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE) : 0;
}

uint64_t cb_process_cpu_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int cb_pipe(int fds[2]) { return pipe2(fds, O_CLOEXEC) == 0 ? 0 : -errno; }

void cb_malloc_trim(void) { malloc_trim(0); }

void cb_stderr(const char *text) {
    fputs(text, stderr);
    fflush(stderr);
}
