import Glibc

/// Seconds on the monotonic clock (`CLOCK_MONOTONIC`), for durations and deadlines: the one
/// clock of this package's tools, tests and benchmarks (the engine keeps its own in its syscall
/// layer). Internal to the package; not a stable API.
public enum MonotonicClock {
    /// Seconds since an arbitrary, fixed point.
    public static func seconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
