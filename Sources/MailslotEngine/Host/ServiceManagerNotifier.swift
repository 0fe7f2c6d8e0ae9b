import Glibc

/// Tells the service manager how the service is doing: systemd's notify protocol
/// (`sd_notify(3)`), for `Type=notify` units.
///
/// Each state is one datagram of `KEY=VALUE` lines sent to the `AF_UNIX` socket named by
/// `$NOTIFY_SOCKET` (a path, or `@name` in the abstract namespace). Without the variable
/// (no manager, or a unit of another type) every call does nothing, so a service runs the
/// same with or without systemd.
///
/// ```swift
/// let manager = ServiceManagerNotifier()
/// manager.notify("READY=1")               // once it serves
/// if let interval = manager.watchdogInterval { … manager.notify("WATCHDOG=1") every interval }
/// manager.notify("STOPPING=1")            // as it begins to stop
/// ```
public final class ServiceManagerNotifier: Sendable {
    /// The notify socket's address, or `nil` without a manager.
    private let destination: String?
    /// How often the manager wants `WATCHDOG=1`: half of `$WATCHDOG_USEC` (as `sd_watchdog_enabled(3)`
    /// advises), or `nil` when no watchdog is set for this process.
    public let watchdogInterval: Duration?

    /// Reads `$NOTIFY_SOCKET` and `$WATCHDOG_USEC` (with `$WATCHDOG_PID`, when set, naming this
    /// process), then removes them, so processes this one starts do not notify in its name.
    public init() {
        destination = system_environment("NOTIFY_SOCKET").flatMap { $0.isEmpty ? nil : $0 }
        let watchdogPID = system_environment("WATCHDOG_PID").flatMap(Int32.init)
        if let microseconds = system_environment("WATCHDOG_USEC").flatMap(Int64.init), microseconds > 0,
            watchdogPID == nil || watchdogPID == getpid()
        {
            // At least 10 ms apart, whatever the manager asks: a ping is a loop round trip.
            watchdogInterval = .microseconds(max(10_000, microseconds / 2))
        } else {
            watchdogInterval = nil
        }
        for name in ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"] { unsetenv(name) }
    }

    /// Sends `state` (one or more `KEY=VALUE` lines, e.g. `"READY=1"` or
    /// `"STOPPING=1\nSTATUS=draining"`). - Returns: `false` when there is no manager or the
    /// datagram could not be sent (within a second, if its socket is full).
    @discardableResult
    public func notify(_ state: String) -> Bool {
        guard let destination else { return false }
        guard let fd = try? system_socket(domain: AF_UNIX, type: Int32(SOCK_DGRAM.rawValue)) else { return false }
        let socket = Descriptor(owning: fd)
        let address = UnixAddress(path: destination)
        for _ in 0..<2 {
            let sent = Array(state.utf8).withUnsafeBytes { bytes in
                Result { () throws(SyscallError) in try system_sendto(socket.rawValue, bytes, to: address) }
            }
            switch sent {
            case .success(.processed): return true
            case .success(.wouldBlock): _ = try? system_poll(socket.rawValue, events: Int16(POLLOUT), timeoutMilliseconds: 1000)
            case .failure: return false
            }
        }
        return false
    }
}
