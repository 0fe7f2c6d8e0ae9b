/* Win32 forwarder from libmailslot: see <mailslot/win32.h>. */
#include <mailslot/win32.h>
