/* Writes each argument after the first as one message to the mailslot named first, with the
 * Win32 calls only: `win32_send NAME MESSAGE...`. Remote and domain names take their network
 * settings from the environment (MAILSLOT_HOSTS_FILE, MAILSLOT_BROADCAST, ...), so the source
 * holds no Linux-specific line. */
#include <windows.h>
#include <stdio.h>

int main(int argc, char *argv[])
{
    if (argc < 2) { printf("usage: win32_send NAME MESSAGE...\n"); return 2; }
    HANDLE file = CreateFile(argv[1], GENERIC_WRITE, FILE_SHARE_READ, NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
    if (file == INVALID_HANDLE_VALUE) { printf("CreateFile failed with %lu\n", (unsigned long)GetLastError()); return 1; }
    for (int i = 2; i < argc; i++) {
        DWORD written = 0;
        if (!WriteFile(file, argv[i], (DWORD)lstrlen(argv[i]), &written, NULL)) {
            printf("WriteFile failed with %lu\n", (unsigned long)GetLastError());
            return 1;
        }
    }
    CloseHandle(file);
    printf("sent %d\n", argc - 2);
    return 0;
}
