// The commit comes from Package.swift (SwiftPM's git information, or $MAILSLOT_COMMIT) as a
// -D flag on this one file: a new commit recompiles it and relinks, nothing else.
#include "mailslot_build_info.h"
#include <mailslot/mailslot.h>

#ifndef MAILSLOT_COMMIT
#define MAILSLOT_COMMIT "unknown"
#endif

const char *mailslot_build_version(void) { return MSL_VERSION_STRING; }

const char *mailslot_build_commit(void) { return MAILSLOT_COMMIT; }
