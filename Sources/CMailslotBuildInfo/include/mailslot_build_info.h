// What a binary of this package was built from: the version and the git commit, for
// `mailslot --version` and every JSON output (MailslotSupport's BuildInfo reads them).
#ifndef MAILSLOT_BUILD_INFO_H
#define MAILSLOT_BUILD_INFO_H

/// The package version, as MSL_VERSION_STRING in <mailslot/mailslot.h> ("0.9.0").
const char *mailslot_build_version(void);

/// The commit built: 12 hex digits, with "-dirty" when the checkout had uncommitted changes;
/// "unknown" outside a git checkout unless MAILSLOT_COMMIT was set for the build.
const char *mailslot_build_commit(void);

#endif
