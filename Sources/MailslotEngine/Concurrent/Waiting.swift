// The waits the C library's servers, events and handles share: `poll` on several descriptors,
// and deadlines in monotonic milliseconds.

/// Waits until one of `descriptors` is readable.
/// - Parameter timeoutMilliseconds: `nil` waits as long as it takes.
/// - Returns: the index of a readable descriptor, or `nil` on timeout.
package func waitForReadable(_ descriptors: [Int32], timeoutMilliseconds: Int?) -> Int? {
    let timeout = timeoutMilliseconds.map { Int32(clamping: max(0, $0)) } ?? -1
    return (try? system_pollReadable(descriptors, timeoutMilliseconds: timeout)) ?? nil
}

/// Monotonic milliseconds (`CLOCK_MONOTONIC`), for deadlines across waits.
package func monotonicMilliseconds() -> Int64 {
    Int64(system_monotonicSeconds() * 1000)
}
