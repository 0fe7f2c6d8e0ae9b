/*
 * <mailslot/win32.h>: the Win32 mailslot API on Linux, from libmailslot.
 *
 * Win32 sources that use mailslots build unchanged against it:
 *     cc app.c $(pkg-config --cflags --libs mailslot-win32)
 * The cflags put <prefix>/include/mailslot/compat first on the include path, where windows.h,
 * winbase.h, windef.h, tchar.h and strsafe.h are one-line forwarders to this header.
 *
 * What is here (docs/win32-mapping.md has each function's differences from Windows):
 *   mailslots  CreateMailslotA, GetMailslotInfo, SetMailslotInfo, CreateFileA (mailslot names
 *              only: \\.\mailslot\x, \\host\mailslot\x, \\domain\mailslot\x, \\*\mailslot\x),
 *              ReadFile, WriteFile, CloseHandle, GetLastError, SetLastError (per thread)
 *   events     CreateEventA, SetEvent, ResetEvent, WaitForSingleObject, WaitForMultipleObjects
 *              (on events and on mailslot server handles, signalled while a message is queued)
 *   support    GetTickCount, Sleep, GlobalAlloc, GlobalFree, lstrlenA, StringCchPrintfA,
 *              StringCbCatA, StringCchCopyA, and the TCHAR names (_tprintf, TEXT, _T)
 *
 * Strings are ANSI (UTF-8). Types have Win32's sizes: DWORD is 32 bits here too. ReadFile and
 * WriteFile complete at once; an OVERLAPPED is filled in and its event set. Handles are opaque
 * values: a closed or made-up one fails with ERROR_INVALID_HANDLE and never crashes. The C
 * sources must be C11 (or gnu99): OVERLAPPED has an anonymous union, as on Windows.
 */
#ifndef MAILSLOT_WIN32_H
#define MAILSLOT_WIN32_H

#if defined(UNICODE) || defined(_UNICODE)
#error "libmailslot's Win32 API is ANSI (UTF-8) only: build without UNICODE/_UNICODE (CreateMailslotW and CreateFileW are not provided)"
#endif

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdarg.h>
#include <string.h>   /* Windows' headers bring memset and friends; Win32 code relies on it */
#include <stdlib.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Types, with Win32's sizes ---- */
typedef int BOOL;
typedef uint32_t DWORD;
typedef DWORD *LPDWORD;
typedef uint16_t WORD;
typedef uint8_t BYTE;
typedef unsigned int UINT;
typedef int32_t LONG;
typedef int32_t HRESULT;
typedef intptr_t LONG_PTR;
typedef uintptr_t ULONG_PTR;
typedef size_t SIZE_T;
typedef void *PVOID;
typedef void *LPVOID;
typedef const void *LPCVOID;
typedef void *HANDLE;
typedef HANDLE *LPHANDLE;
typedef HANDLE HGLOBAL;
typedef char CHAR;
typedef char TCHAR;
typedef char *LPSTR;
typedef const char *LPCSTR;
typedef char *LPTSTR;
typedef const char *LPCTSTR;
typedef char *STRSAFE_LPSTR;
typedef const char *STRSAFE_LPCSTR;

typedef struct _SECURITY_ATTRIBUTES {
    DWORD nLength;
    LPVOID lpSecurityDescriptor;    /* accepted and ignored: see docs/win32-mapping.md */
    BOOL bInheritHandle;
} SECURITY_ATTRIBUTES, *PSECURITY_ATTRIBUTES, *LPSECURITY_ATTRIBUTES;

typedef struct _OVERLAPPED {
    ULONG_PTR Internal;             /* 0 on success, else the Win32 error code */
    ULONG_PTR InternalHigh;         /* bytes transferred */
    union {
        struct {
            DWORD Offset;
            DWORD OffsetHigh;
        };
        PVOID Pointer;
    };
    HANDLE hEvent;                  /* set when the operation completes (here: at once) */
} OVERLAPPED, *LPOVERLAPPED;

#define WINAPI
#define CALLBACK
#define VOID void
#define CONST const
#define TRUE 1
#define FALSE 0

/* ---- Constants ---- */
#define INVALID_HANDLE_VALUE ((HANDLE)(LONG_PTR)-1)
#define MAILSLOT_NO_MESSAGE ((DWORD)-1)
#define MAILSLOT_WAIT_FOREVER ((DWORD)-1)
#define INFINITE 0xFFFFFFFF
#define GENERIC_READ 0x80000000
#define GENERIC_WRITE 0x40000000
#define FILE_SHARE_READ 0x00000001
#define FILE_SHARE_WRITE 0x00000002
#define FILE_SHARE_DELETE 0x00000004
#define CREATE_NEW 1
#define CREATE_ALWAYS 2
#define OPEN_EXISTING 3
#define OPEN_ALWAYS 4
#define TRUNCATE_EXISTING 5
#define FILE_ATTRIBUTE_NORMAL 0x00000080
#define FILE_FLAG_OVERLAPPED 0x40000000
#define SYNCHRONIZE 0x00100000
#define MAXIMUM_WAIT_OBJECTS 64
#define WAIT_OBJECT_0 0x00000000
#define WAIT_ABANDONED 0x00000080
#define WAIT_TIMEOUT 0x00000102
#define WAIT_FAILED ((DWORD)0xFFFFFFFF)
#define GMEM_FIXED 0x0000
#define GMEM_ZEROINIT 0x0040
#define GPTR 0x0040
#define S_OK ((HRESULT)0)
#define STRSAFE_E_INSUFFICIENT_BUFFER ((HRESULT)0x8007007A)
#define STRSAFE_E_INVALID_PARAMETER ((HRESULT)0x80070057)
#define SUCCEEDED(hr) (((HRESULT)(hr)) >= 0)
#define FAILED(hr) (((HRESULT)(hr)) < 0)

#define ERROR_SUCCESS 0L
#define NO_ERROR 0L
#define ERROR_FILE_NOT_FOUND 2L
#define ERROR_PATH_NOT_FOUND 3L
#define ERROR_ACCESS_DENIED 5L
#define ERROR_INVALID_HANDLE 6L
#define ERROR_NOT_ENOUGH_MEMORY 8L
#define ERROR_GEN_FAILURE 31L
#define ERROR_SHARING_VIOLATION 32L
#define ERROR_NOT_SUPPORTED 50L
#define ERROR_BAD_NETPATH 53L
#define ERROR_INVALID_PARAMETER 87L
#define ERROR_BROKEN_PIPE 109L
#define ERROR_SEM_TIMEOUT 121L
#define ERROR_INSUFFICIENT_BUFFER 122L
#define ERROR_INVALID_NAME 123L
#define ERROR_BUSY 170L
#define ERROR_ALREADY_EXISTS 183L
#define ERROR_FILENAME_EXCED_RANGE 206L
#define ERROR_OPERATION_ABORTED 995L
#define ERROR_IO_INCOMPLETE 996L
#define ERROR_IO_PENDING 997L
#define ERROR_NO_SYSTEM_RESOURCES 1450L
#define ERROR_NOT_ENOUGH_QUOTA 1816L

/* ---- Mailslots ---- */
HANDLE CreateMailslotA(LPCSTR lpName, DWORD nMaxMessageSize, DWORD lReadTimeout,
                       LPSECURITY_ATTRIBUTES lpSecurityAttributes);
BOOL GetMailslotInfo(HANDLE hMailslot, LPDWORD lpMaxMessageSize, LPDWORD lpNextSize,
                     LPDWORD lpMessageCount, LPDWORD lpReadTimeout);
BOOL SetMailslotInfo(HANDLE hMailslot, DWORD lReadTimeout);
HANDLE CreateFileA(LPCSTR lpFileName, DWORD dwDesiredAccess, DWORD dwShareMode,
                   LPSECURITY_ATTRIBUTES lpSecurityAttributes, DWORD dwCreationDisposition,
                   DWORD dwFlagsAndAttributes, HANDLE hTemplateFile);
BOOL ReadFile(HANDLE hFile, LPVOID lpBuffer, DWORD nNumberOfBytesToRead,
              LPDWORD lpNumberOfBytesRead, LPOVERLAPPED lpOverlapped);
BOOL WriteFile(HANDLE hFile, LPCVOID lpBuffer, DWORD nNumberOfBytesToWrite,
               LPDWORD lpNumberOfBytesWritten, LPOVERLAPPED lpOverlapped);
BOOL CloseHandle(HANDLE hObject);
DWORD GetLastError(void);
void SetLastError(DWORD dwErrCode);

/* ---- Events and waits ---- */
HANDLE CreateEventA(LPSECURITY_ATTRIBUTES lpEventAttributes, BOOL bManualReset,
                    BOOL bInitialState, LPCSTR lpName);
BOOL SetEvent(HANDLE hEvent);
BOOL ResetEvent(HANDLE hEvent);
DWORD WaitForSingleObject(HANDLE hHandle, DWORD dwMilliseconds);
DWORD WaitForMultipleObjects(DWORD nCount, const HANDLE *lpHandles, BOOL bWaitAll,
                             DWORD dwMilliseconds);

/* ---- Support ---- */
DWORD GetTickCount(void);
void Sleep(DWORD dwMilliseconds);
HGLOBAL GlobalAlloc(UINT uFlags, SIZE_T dwBytes);
HGLOBAL GlobalFree(HGLOBAL hMem);
int lstrlenA(LPCSTR lpString);

/* strsafe: the result is always NUL-terminated; a cut result returns
 * STRSAFE_E_INSUFFICIENT_BUFFER. cch counts characters, cb bytes (the same here). */
#define STRSAFE_MAX_CCH 2147483647
static inline HRESULT StringCchVPrintfA(STRSAFE_LPSTR dst, size_t cch, STRSAFE_LPCSTR fmt, va_list args) {
    if (dst == NULL || cch == 0 || cch > STRSAFE_MAX_CCH) return STRSAFE_E_INVALID_PARAMETER;
    int n = vsnprintf(dst, cch, fmt, args);
    if (n < 0) { dst[0] = '\0'; return STRSAFE_E_INVALID_PARAMETER; }
    return (size_t)n < cch ? S_OK : STRSAFE_E_INSUFFICIENT_BUFFER;
}
static inline HRESULT StringCchPrintfA(STRSAFE_LPSTR dst, size_t cch, STRSAFE_LPCSTR fmt, ...) {
    va_list args;
    va_start(args, fmt);
    HRESULT hr = StringCchVPrintfA(dst, cch, fmt, args);
    va_end(args);
    return hr;
}
static inline HRESULT StringCbPrintfA(STRSAFE_LPSTR dst, size_t cb, STRSAFE_LPCSTR fmt, ...) {
    va_list args;
    va_start(args, fmt);
    HRESULT hr = StringCchVPrintfA(dst, cb, fmt, args);
    va_end(args);
    return hr;
}
static inline HRESULT StringCchCatA(STRSAFE_LPSTR dst, size_t cch, STRSAFE_LPCSTR src) {
    if (dst == NULL || src == NULL || cch == 0 || cch > STRSAFE_MAX_CCH) return STRSAFE_E_INVALID_PARAMETER;
    size_t used = strnlen(dst, cch);
    if (used == cch) return STRSAFE_E_INVALID_PARAMETER;   /* dst is not terminated within cch */
    size_t room = cch - used - 1, want = strlen(src);
    size_t take = want < room ? want : room;
    memcpy(dst + used, src, take);
    dst[used + take] = '\0';
    return take == want ? S_OK : STRSAFE_E_INSUFFICIENT_BUFFER;
}
static inline HRESULT StringCbCatA(STRSAFE_LPSTR dst, size_t cb, STRSAFE_LPCSTR src) {
    return StringCchCatA(dst, cb, src);
}
static inline HRESULT StringCchCopyA(STRSAFE_LPSTR dst, size_t cch, STRSAFE_LPCSTR src) {
    if (dst == NULL || cch == 0 || cch > STRSAFE_MAX_CCH) return STRSAFE_E_INVALID_PARAMETER;
    dst[0] = '\0';
    return src == NULL ? STRSAFE_E_INVALID_PARAMETER : StringCchCatA(dst, cch, src);
}
static inline HRESULT StringCbCopyA(STRSAFE_LPSTR dst, size_t cb, STRSAFE_LPCSTR src) {
    return StringCchCopyA(dst, cb, src);
}

/* ---- TCHAR names (ANSI) ---- */
#define TEXT(s) s
#define _T(s) s
#define _TEXT(s) s
#define _tprintf printf
#define _ftprintf fprintf
#define _stprintf sprintf
#define _tcslen strlen
#define _tcscpy strcpy
#define _tcscmp strcmp
#define _tmain main
#define CreateMailslot CreateMailslotA
#define CreateFile CreateFileA
#define CreateEvent CreateEventA
#define lstrlen lstrlenA
#define StringCchPrintf StringCchPrintfA
#define StringCbPrintf StringCbPrintfA
#define StringCchCat StringCchCatA
#define StringCbCat StringCbCatA
#define StringCchCopy StringCchCopyA
#define StringCbCopy StringCbCopyA

#ifdef __cplusplus
}
#endif
#endif /* MAILSLOT_WIN32_H */
