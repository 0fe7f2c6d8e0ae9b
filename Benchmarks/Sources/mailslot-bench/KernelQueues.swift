import Glibc

/// The kernel's datagram queue depths, which decide how big a burst a receiver absorbs:
/// `net.unix.max_dgram_qlen` (AF_UNIX datagram sockets, mailslots included; default 10) and
/// `fs.mqueue.msg_max` (POSIX queues; default 10).
///
/// Both are read when a socket or queue is created. So the benchmark raises them only while
/// its receivers are created, and puts the old values back at once: its own receivers get the
/// deeper queue and nothing else on the machine keeps it. That needs root; without it the
/// system's values are used, and the header line says which.
struct KernelQueues {
    static let unixPath = "/proc/sys/net/unix/max_dgram_qlen"
    static let queuePath = "/proc/sys/fs/mqueue/msg_max"

    /// The depth requested (`0`: leave the system's values).
    let requested: Int

    /// The AF_UNIX queue length receivers actually get.
    var unixDepth: Int { canRaise ? max(requested, Self.value(Self.unixPath) ?? 10) : Self.value(Self.unixPath) ?? 10 }

    /// The POSIX queue depth receivers get: the requested depth, within RLIMIT_MSGQUEUE.
    func queueDepth(messageSize: Int) -> Int {
        var limit = rlimit()
        getrlimit(__rlimit_resource_t(12), &limit)  // RLIMIT_MSGQUEUE (not imported by Glibc)
        let fitting = Int(min(limit.rlim_cur, 1 << 30)) / (messageSize + 128)
        let allowed = canRaise ? max(requested, 10) : Self.value(Self.queuePath) ?? 10
        return max(1, min(allowed, fitting))
    }

    var canRaise: Bool { requested > 0 && access(Self.unixPath, W_OK) == 0 && access(Self.queuePath, W_OK) == 0 }

    /// Runs `body` (which creates receivers) with the queue limits raised, then restores them.
    func whileRaised<T>(_ body: () throws(BenchError) -> T) throws(BenchError) -> T {
        guard canRaise, let unix = Self.value(Self.unixPath), let queue = Self.value(Self.queuePath) else {
            return try body()
        }
        Self.write(Self.unixPath, max(unix, requested))
        Self.write(Self.queuePath, max(queue, requested))
        defer {
            Self.write(Self.unixPath, unix)
            Self.write(Self.queuePath, queue)
        }
        return try body()
    }

    var summary: String {
        canRaise
            ? "kernel queues \(unixDepth) deep for the benchmark's receivers (raised while they are created, then restored)"
            : "kernel queues at the system's values (AF_UNIX \(unixDepth); raising them needs root)"
    }

    static func value(_ path: String) -> Int? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var number = 0
        return fscanf_int(file, &number) ? number : nil
    }

    private static func fscanf_int(_ file: UnsafeMutablePointer<FILE>, _ number: inout Int) -> Bool {
        var line = [CChar](repeating: 0, count: 32)
        guard fgets(&line, 32, file) != nil else { return false }
        let text = String(decoding: line.prefix { $0 != 0 && $0 != 10 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard let value = Int(text) else { return false }
        number = value
        return true
    }

    private static func write(_ path: String, _ value: Int) {
        guard let file = fopen(path, "w") else { return }
        fputs("\(value)\n", file)
        fclose(file)
    }
}
