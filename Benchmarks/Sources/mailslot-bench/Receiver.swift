import CBaselines
import Glibc
import MailslotEngine

/// The receiving side of a trial: binds its endpoints before writers start, then receives
/// until every writer has exited (the done pipe reports end-of-file) and the queues are empty.
protocol Receiver {
    /// Receives until the writers are done; every message goes through `tally`.
    func receive(doneFD: Int32, tally: Tally) throws(BenchError)
    /// Datagrams the receiver dropped itself and counted (the engine's drop counters).
    var countedDrops: UInt64 { get }
    /// Where writers send: the `--prefix` of the writer command.
    var prefix: String { get }
    /// The writer command's transport and destination arguments.
    var writerArguments: [String] { get }
}

/// Mailslots: one engine, `count` mailslots, every message taken borrowed by an `onMessage`
/// handler that runs the shared tally.
final class MailslotReceiver: Receiver {
    let prefix: String
    private let engine: MailslotEngine
    private var servers: [MailslotServer] = []

    private let transport: Transport

    /// `sharedMemoryBytes` above 0 offers writers the shared-memory ring; `spin` is how long the
    /// reader polls an empty ring before it sleeps.
    init(
        prefix: String, count: Int, tally: Tally, transport: Transport = .mailslot, sharedMemoryBytes: Int = 0, spin: Double = 0,
        writers: WriterAccess? = nil
    ) throws(BenchError)
    {
        self.prefix = prefix
        self.transport = transport
        let counters = tally.pointer
        do {
            var configuration = EngineConfiguration()
            configuration.sharedMemorySpin = spin
            engine = try MailslotEngine(configuration: configuration)
            servers.reserveCapacity(count)
            for index in 0..<count {
                let server = try engine.createMailslot(
                    MailslotName(localPath: "\(prefix)\\\(index)"), sharedMemoryBytes: sharedMemoryBytes, writers: writers)
                try server.onMessage { message in
                    message.withUnsafeBytes { cb_tally_record(counters, $0.baseAddress, $0.count, cb_now_ns()) }
                }
                servers.append(server)
            }
        } catch {
            throw .setup("mailslot setup failed: \(error)")
        }
    }

    var writerArguments: [String] { ["--transport", transport.rawValue, "--prefix", prefix] }

    func receive(doneFD: Int32, tally: Tally) throws(BenchError) {
        // Every writer has exited when the pipe ends, so all it sent is queued already.
        runUntilDone(engine, doneFD: doneFD, tally: tally)
    }

    var countedDrops: UInt64 { engine.statistics.drops.total }
}

/// The C AF_UNIX baseline: `count` bound sockets, epoll + recvmmsg.
final class UnixReceiver: Receiver {
    let prefix: String
    private var fds: [Int32]
    private let maxSize: Int

    init(prefix: String, count: Int, maxSize: Int) throws(BenchError) {
        self.prefix = prefix
        self.maxSize = maxSize
        fds = [Int32](repeating: -1, count: count)
        let status = cb_unix_bind(prefix, Int32(count), &fds)
        guard status == 0 else { throw .system("cb_unix_bind", -status) }
    }

    deinit { cb_close_all(fds, Int32(fds.count)) }

    var writerArguments: [String] { ["--transport", Transport.cUnix.rawValue, "--prefix", prefix] }

    func receive(doneFD: Int32, tally: Tally) throws(BenchError) {
        let status = cb_unix_receive(fds, Int32(fds.count), 32, Int32(maxSize), doneFD, tally.pointer)
        guard status == 0 else { throw .system("cb_unix_receive", -status) }
    }

    var countedDrops: UInt64 { 0 }
}

/// The POSIX message-queue baseline: one queue, epoll + mq_receive.
final class QueueReceiver: Receiver {
    let prefix: String
    private let queue: Int32
    private let messageSize: Int

    /// `depth` matches the AF_UNIX queue length where RLIMIT_MSGQUEUE allows (see
    /// ``KernelQueues``), so neither baseline gets a deeper kernel queue than the other.
    init(prefix: String, messageSize: Int, depth: Int) throws(BenchError) {
        self.prefix = prefix
        self.messageSize = messageSize
        queue = cb_mq_create(prefix, depth, messageSize)
        guard queue >= 0 else { throw .system("mq_open \(prefix)", -queue) }
    }

    deinit { cb_mq_destroy(queue, prefix) }

    var writerArguments: [String] { ["--transport", Transport.posixMQ.rawValue, "--prefix", prefix] }

    func receive(doneFD: Int32, tally: Tally) throws(BenchError) {
        let status = cb_mq_receive(queue, messageSize, doneFD, tally.pointer)
        guard status == 0 else { throw .system("cb_mq_receive", -status) }
    }

    var countedDrops: UInt64 { 0 }
}

/// The C shared-memory baseline: one POSIX shared-memory ring, one producer, busy-polled.
final class SharedRingReceiver: Receiver {
    let prefix: String
    private let region: UnsafeMutableRawPointer

    init(prefix: String, capacity: Int) throws(BenchError) {
        self.prefix = prefix
        guard let region = cb_shm_create(prefix, capacity) else { throw .system("shm_open \(prefix)", errno) }
        self.region = region
    }

    deinit { cb_shm_destroy(region, prefix) }

    var writerArguments: [String] { ["--transport", Transport.cSharedRing.rawValue, "--prefix", prefix] }

    func receive(doneFD: Int32, tally: Tally) throws(BenchError) {
        _ = cb_shm_receive(region, doneFD, tally.pointer)
    }

    var countedDrops: UInt64 { 0 }
}

/// c-shm-mpsc: the many-writer ring with a sleeping reader (shm_mpsc.c).
final class SharedMPSCReceiver: Receiver {
    let prefix: String
    private let region: UnsafeMutableRawPointer
    private var corrupt: UInt64 = 0

    init(prefix: String, capacity: Int, maxLength: Int) throws(BenchError) {
        self.prefix = prefix
        guard let region = cb_mpsc_create(prefix, capacity, maxLength) else { throw .system("shm_open \(prefix)", errno) }
        self.region = region
    }

    deinit { cb_mpsc_destroy(region, prefix) }

    var writerArguments: [String] { ["--transport", Transport.cSharedMPSC.rawValue, "--prefix", prefix] }

    func receive(doneFD: Int32, tally: Tally) throws(BenchError) {
        let status = cb_mpsc_receive(region, doneFD, tally.pointer, &corrupt)
        guard status == 0 else { throw .system("cb_mpsc_receive", -status) }
    }

    var countedDrops: UInt64 { 0 }
}
