/*
 * libmailslot's per-thread state, set by the Swift side (internal: not installed).
 * The last error (GetLastError) and the last failure's detail (msl_error_detail) are
 * _Thread_local here: one load or store, no lookup.
 */
#ifndef MAILSLOT_THREAD_STATE_H
#define MAILSLOT_THREAD_STATE_H
#include <stdint.h>

/* Records a failure: the Win32 code for GetLastError and its text for msl_error_detail.
 * detail may be NULL (no text). */
__attribute__((visibility("hidden"))) void msl__set_failure(uint32_t code, const char *detail);
/* Clears the detail after a success (the last error stays, as Win32 leaves it). */
__attribute__((visibility("hidden"))) void msl__clear_detail(void);

#endif
