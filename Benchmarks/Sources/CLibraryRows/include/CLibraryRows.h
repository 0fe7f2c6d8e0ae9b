// CLibraryRows: scenario a's rows through libmailslot's C APIs, written as a C programmer would
// (one message per call): WriteFile into ReadFile (<mailslot/win32.h>), and msl_send into
// msl_recv (<mailslot/mailslot.h>). The library is the package's own (the MailslotC product),
// linked into mailslot-bench; each writer is a process of its own, as in every other row.
//
// Every message carries CBaselines' header and goes through its tally (cb_tally_record), and
// every writer through its pacer, so these rows differ from their baselines in the API alone.
#ifndef CLIBRARYROWS_H
#define CLIBRARYROWS_H

#include "CBaselines.h"

/// The reader's handle (a HANDLE for the Win32 rows, an msl_slot * for the native ones).
typedef void *cl_reader;

/// Creates the mailslot `name` for a Win32 (`win32` 1) or native reader. Returns 0 or the
/// Win32 error code.
int cl_reader_create(const char *name, int win32, cl_reader *reader);

/// Reads until the writers are done (`done_fd` readable) and the mailslot is empty, one
/// message per ReadFile / msl_recv call. Returns 0 or the Win32 error code.
int cl_reader_receive(cl_reader reader, int win32, int done_fd, cb_tally *tally);

/// Closes the reader.
void cl_reader_close(cl_reader reader, int win32);

/// One writer: `payload`-byte messages to `name` for `seconds` (paced at `rate`, 0: as fast as
/// the reader takes them), one WriteFile / msl_send call each. With `blocking`, a full queue is
/// waited out; otherwise its refusal is counted. Returns 0 or the Win32 error code.
int cl_writer_send(const char *name, int win32, uint32_t writer, int payload, double seconds, double rate, int blocking,
                   cb_send_stats *stats);

#endif
