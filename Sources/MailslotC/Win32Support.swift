import CMailslotAPI
import Glibc
import MailslotEngine

// The few Win32 support functions mailslot programs call: GetTickCount, Sleep, GlobalAlloc,
// GlobalFree, lstrlenA. (The strsafe functions are inline in <mailslot/win32.h>.)

/// `GetTickCount`: monotonic milliseconds, wrapping at 2^32 (about 49.7 days).
@_cdecl("GetTickCount")
public func getTickCount() -> UInt32 {
    UInt32(truncatingIfNeeded: monotonicMilliseconds())
}

/// `Sleep`: milliseconds; `INFINITE` sleeps for ever.
@_cdecl("Sleep")
public func sleepMilliseconds(_ milliseconds: UInt32) {
    if milliseconds == 0xFFFF_FFFF {
        while true { pause() }
    }
    var request = timespec(tv_sec: Int(milliseconds / 1000), tv_nsec: Int(milliseconds % 1000) * 1_000_000)
    var remaining = timespec()
    while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
}

/// `GlobalAlloc`: fixed memory; `GMEM_ZEROINIT` (in `GPTR`) zeroes it. NULL on failure.
@_cdecl("GlobalAlloc")
public func globalAlloc(_ flags: UInt32, _ bytes: Int) -> UnsafeMutableRawPointer? {
    let memory = flags & 0x0040 != 0 ? calloc(1, max(bytes, 1)) : malloc(max(bytes, 1))
    if memory == nil { recordFailure(code: 8, "GlobalAlloc of \(bytes) bytes") }
    return memory
}

/// `GlobalFree`: NULL on success, as Win32 returns.
@_cdecl("GlobalFree")
public func globalFree(_ memory: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    free(memory)
    return nil
}

/// `lstrlenA`: NULL counts as 0.
@_cdecl("lstrlenA")
public func lstrlenA(_ text: UnsafePointer<CChar>?) -> Int32 {
    guard let text else { return 0 }
    return Int32(clamping: strlen(text))
}
