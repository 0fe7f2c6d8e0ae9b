/* Microsoft's "Writing to a Mailslot" sample (learn.microsoft.com, ipc/writing-to-a-mailslot),
 * as published, plus argv for the name. Nothing here is Linux-specific. */
#include <windows.h>
#include <stdio.h>

LPCTSTR SlotName = TEXT("\\\\.\\mailslot\\sample_mailslot");

BOOL WriteSlot(HANDLE hSlot, LPCTSTR lpszMessage)
{
   BOOL fResult;
   DWORD cbWritten;

   fResult = WriteFile(hSlot,
     lpszMessage,
     (DWORD) (lstrlen(lpszMessage)+1)*sizeof(TCHAR),
     &cbWritten,
     (LPOVERLAPPED) NULL);

   if (!fResult)
   {
      printf("WriteFile failed with %d.\n", GetLastError());
      return FALSE;
   }

   printf("Slot written to successfully.\n");

   return TRUE;
}

int main(int argc, char *argv[])
{
   HANDLE hFile;

   if (argc > 1) SlotName = argv[1];

   hFile = CreateFile(SlotName,
     GENERIC_WRITE,
     FILE_SHARE_READ,
     (LPSECURITY_ATTRIBUTES) NULL,
     OPEN_EXISTING,
     FILE_ATTRIBUTE_NORMAL,
     (HANDLE) NULL);

   if (hFile == INVALID_HANDLE_VALUE)
   {
      printf("CreateFile failed with %d.\n", GetLastError());
      return 1;
   }

   if (!WriteSlot(hFile, TEXT("Message one for mailslot."))) return 1;
   if (!WriteSlot(hFile, TEXT("Message two for mailslot."))) return 1;

   Sleep(5000);

   if (!WriteSlot(hFile, TEXT("Message three for mailslot."))) return 1;

   CloseHandle(hFile);

   return 0;
}
