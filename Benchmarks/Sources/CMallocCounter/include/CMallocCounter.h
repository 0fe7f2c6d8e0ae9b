// CMallocCounter: counts heap allocations while counting is on.
//
// Linked into an executable, this target defines malloc, calloc, realloc, posix_memalign,
// aligned_alloc and memalign; the executable's definitions take precedence over glibc's for
// every caller in the process (the Swift runtime and Foundation included), and each forwards
// to glibc's own (__libc_malloc and friends). free is not counted.
//
// Counting is process-wide and off by default: turn it on around the code to measure.
#ifndef CMALLOC_COUNTER_H
#define CMALLOC_COUNTER_H

#include <stdint.h>

/// Starts counting from zero.
void malloc_counter_start(void);
/// Stops counting; returns the allocations seen since malloc_counter_start().
uint64_t malloc_counter_stop(void);

#endif
