import CBaselines
import Glibc
import MailslotEngine

/// The engine's datagram service on an ephemeral loopback port, delivering into `count`
/// mailslots whose callbacks run the shared tally.
final class UDPMailslotReceiver: Receiver {
    let prefix: String
    let port: UInt16
    private let engine: MailslotEngine
    private var servers: [MailslotServer] = []

    init(prefix: String, count: Int, tally: Tally, bufferBytes: Int, port requested: UInt16 = 0) throws(BenchError) {
        self.prefix = prefix
        let counters = tally.pointer
        do {
            engine = try MailslotEngine()
            var network = NetworkConfiguration()
            network.receiveBufferBytes = bufferBytes
            network.computerName = "BENCH"
            network.domain = "BENCHDOM"
            network.udpPort = requested
            try engine.startDatagramService(network)
            port = engine.datagramPort ?? 0
            for index in 0..<count {
                let server = try engine.createMailslot(MailslotName(localPath: "\(prefix)\\\(index)"))
                try server.onMessage { message in message.withUnsafeBytes { cb_tally_record(counters, $0.baseAddress, $0.count, cb_now_ns()) } }
                servers.append(server)
            }
        } catch {
            throw .setup("UDP mailslot setup failed: \(error)")
        }
    }

    var writerArguments: [String] { ["--transport", "udp-blast", "--prefix", prefix, "--port", "\(port)"] }

    func receive(doneFD: Int32, tally: Tally) throws(BenchError) {
        runUntilDone(engine, doneFD: doneFD, tally: tally)
    }

    /// The engine's own count, which takes in its socket's kernel drops (`kernelBufferFull`):
    /// adding the namespace's `InErrors` as the C receivers do counted them twice (a full run
    /// showed 350 datagrams lost and 700 counted).
    var countedDrops: UInt64 {
        (engine.datagramStatistics?.drops.total ?? 0) + engine.statistics.drops.total
    }
}

/// The plain C recvmmsg receiver.
final class RecvmmsgReceiver: Receiver {
    let prefix: String
    private let fd: Int32
    private let port: Int32
    private let payload: Int
    private let kernelDropsBefore = cb_udp_kernel_drops()

    init(prefix: String, payload: Int, bufferBytes: Int, port requested: Int32 = 0, anyAddress: Bool = false) throws(BenchError) {
        self.prefix = prefix
        self.payload = payload
        var bound: Int32 = 0
        fd = anyAddress ? cb_udp_bind_any(requested, Int32(bufferBytes), &bound) : cb_udp_bind(requested, Int32(bufferBytes), &bound)
        guard fd >= 0 else { throw .system("cb_udp_bind", -fd) }
        port = bound
    }

    deinit { close(fd) }

    var writerArguments: [String] { ["--transport", "udp-blast", "--prefix", prefix, "--port", "\(port)"] }

    func receive(doneFD: Int32, tally: Tally) throws(BenchError) {
        let status = cb_udp_receive(fd, 32, Int32(payload), doneFD, tally.pointer)
        guard status == 0 else { throw .system("cb_udp_receive", -status) }
    }

    var countedDrops: UInt64 { cb_udp_kernel_drops() - kernelDropsBefore }
}

/// c-msmail: C that does per datagram what the datagram service does (msmail.c).
final class MSMailReceiver: Receiver {
    let prefix: String
    private let fd: Int32
    private let port: Int32
    private let mailslots: Int
    private var counts = cb_msmail_counts()
    private let kernelDropsBefore = cb_udp_kernel_drops()

    init(prefix: String, mailslots: Int, bufferBytes: Int) throws(BenchError) {
        self.prefix = prefix
        self.mailslots = mailslots
        var bound: Int32 = 0
        fd = cb_udp_bind(0, Int32(bufferBytes), &bound)
        guard fd >= 0 else { throw .system("cb_udp_bind", -fd) }
        port = bound
    }

    deinit { close(fd) }

    var writerArguments: [String] { ["--transport", "udp-blast", "--prefix", prefix, "--port", "\(port)"] }

    func receive(doneFD: Int32, tally: Tally) throws(BenchError) {
        let status = cb_msmail_receive(fd, prefix, Int32(mailslots), doneFD, tally.pointer, &counts)
        guard status == 0 else { throw .system("cb_msmail_receive", -status) }
    }

    /// Every datagram not delivered, by cause, and the kernel's drops.
    var countedDrops: UInt64 {
        counts.malformed + counts.oversize + counts.wrong_destination + counts.unknown_mailslot + (cb_udp_kernel_drops() - kernelDropsBefore)
    }
}

/// Runs the engine (as an application would: `run`, with a 5 ms housekeeping timer) until the
/// done pipe reports the writers finished, then until nothing more arrives.
func runUntilDone(_ engine: MailslotEngine, doneFD: Int32, tally: Tally) {
    engine.run(checkingEvery: 0.005) {
        var entry = pollfd(fd: doneFD, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, 0) > 0
    }
    var before = UInt64.max
    engine.run(checkingEvery: 0.02) {
        defer { before = tally.received }
        return before == tally.received
    }
}
