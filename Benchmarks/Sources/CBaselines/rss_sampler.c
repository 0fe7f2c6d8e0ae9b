// A background thread that samples this process's RSS every interval (the soak scenario).
#define _GNU_SOURCE
#include "CBaselines.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

static pthread_t sampler_thread;
static atomic_int sampler_running;
static int sampler_interval_ms;
static cb_rss_samples sampler_result;

static void *sampler_main(void *unused) {
    (void)unused;
    while (atomic_load(&sampler_running)) {
        struct timespec pause = {sampler_interval_ms / 1000, (long)(sampler_interval_ms % 1000) * 1000000L};
        nanosleep(&pause, NULL);
        uint64_t rss = cb_rss_bytes();
        uint64_t index = sampler_result.count++;
        if (index < sampler_result.warmup) continue;
        if (sampler_result.measured == 0 || rss < sampler_result.min) sampler_result.min = rss;
        if (rss > sampler_result.max) sampler_result.max = rss;
        sampler_result.measured++;
        sampler_result.last = rss;
    }
    return NULL;
}

int cb_rss_sampler_start(int interval_ms, uint64_t warmup_samples) {
    sampler_interval_ms = interval_ms > 0 ? interval_ms : 1000;
    sampler_result = (cb_rss_samples){0};
    sampler_result.warmup = warmup_samples;
    atomic_store(&sampler_running, 1);
    return -pthread_create(&sampler_thread, NULL, sampler_main, NULL);
}

cb_rss_samples cb_rss_sampler_stop(void) {
    atomic_store(&sampler_running, 0);
    pthread_join(sampler_thread, NULL);
    return sampler_result;
}
