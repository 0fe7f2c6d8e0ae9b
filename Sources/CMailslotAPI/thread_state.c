// Per-thread last error and failure detail. Everything else in libmailslot is Swift.
#include <string.h>
#include "thread_state.h"
#include "mailslot/mailslot.h"
#include "mailslot/win32.h"

static _Thread_local DWORD last_error;
static _Thread_local char detail[512];

DWORD GetLastError(void) { return last_error; }

void SetLastError(DWORD code) { last_error = code; }

const char *msl_error_detail(void) { return detail; }

void msl__set_failure(uint32_t code, const char *text) {
    last_error = code;
    if (text == NULL) {
        detail[0] = '\0';
        return;
    }
    size_t length = strnlen(text, sizeof detail - 1);
    memcpy(detail, text, length);
    detail[length] = '\0';
}

void msl__clear_detail(void) { detail[0] = '\0'; }
