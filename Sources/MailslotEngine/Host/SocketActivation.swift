import Glibc

/// Sockets a service manager opened for this process: systemd's socket activation
/// (`sd_listen_fds(3)`), or `systemd-socket-activate` in a test.
///
/// The manager passes them as descriptors 3, 4, … and says so in the environment:
/// `LISTEN_PID` (the process they are for), `LISTEN_FDS` (how many) and `LISTEN_FDNAMES`
/// (their names, `:`-separated). A datagram service takes its UDP 138 this way and runs with
/// no privilege to bind it: ``NetworkConfiguration/inheritedSocket``.
public enum SocketActivation {
    /// The first descriptor a manager passes (`SD_LISTEN_FDS_START`).
    public static let firstDescriptor: Int32 = 3

    /// The descriptors passed to this process, in order (empty when none were, or when
    /// `LISTEN_PID` names another process: the variables were inherited, not meant for us).
    ///
    /// Reading them takes them: the three variables are removed, so a child process started
    /// later does not believe they are its own, and each descriptor is made close-on-exec.
    public static func takeDescriptors() -> [Int32] {
        defer {
            unsetenv("LISTEN_PID")
            unsetenv("LISTEN_FDS")
            unsetenv("LISTEN_FDNAMES")
        }
        guard let pid = system_environment("LISTEN_PID").flatMap(Int32.init), pid == getpid(),
            let count = system_environment("LISTEN_FDS").flatMap(Int32.init), count > 0, count < 4096
        else { return [] }
        let descriptors = Array(firstDescriptor..<(firstDescriptor + count))
        for fd in descriptors { try? system_setCloseOnExec(fd, true) }
        return descriptors
    }

    /// The first passed descriptor that is a bound IPv4 UDP socket, for
    /// ``NetworkConfiguration/inheritedSocket``; `nil` when none is. Takes the descriptors as
    /// ``takeDescriptors()`` does; the others stay open.
    public static func takeDatagramSocket() -> Int32? {
        takeDescriptors().first(where: system_isBoundIPv4Datagram)
    }
}
