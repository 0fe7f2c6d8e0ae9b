import ArgumentParser
import CBaselines
import CLibraryRows
import Glibc
import MailslotEngine
import MailslotWire

/// One writer process of a trial (spawned by `run`). Prints
/// `attempted sent refused start_ns end_ns` on stdout when done.
struct WriterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "writer", abstract: "Write messages for one trial (internal).", shouldDisplay: false)

    @Option var transport: String
    /// Destination prefix: a mailslot path, an abstract socket prefix, or a queue name.
    @Option var prefix: String
    @Option var count = 1
    @Option var first = 0
    @Option var step = 1
    @Option var writerId: UInt32 = 0
    @Option var payload = 424
    @Option var batch = 32
    @Option var seconds = 1.0
    /// Messages per second for this writer; 0 writes as fast as the receiver takes them.
    @Option var rate = 0.0
    /// Waits for room when the receiver's queue is full (otherwise refused writes are counted).
    @Flag var blocking = false
    @Option var cpu: Int32 = -1
    /// For `udp-blast`: the receiver's UDP port on 127.0.0.1.
    @Option var port: Int32 = 0
    /// For `udp-blast`: where to send (a broadcast address sends DIRECT_GROUP to BENCHDOM<00>).
    @Option var host = "127.0.0.1"
    /// Stop after this many messages (0: write for `--seconds`).
    @Option var total: UInt64 = 0

    func run() throws {
        if cpu >= 0 { _ = cb_pin_cpu(cpu) }
        var stats = cb_send_stats()
        if transport == "udp-blast" {
            stats = try blastDatagrams()
            print("\(stats.attempted) \(stats.sent) \(stats.refused) \(stats.start_ns) \(stats.end_ns)")
            return
        }
        switch Transport(rawValue: transport) {
        case .mailslot, .mailslotShared, .mailslotSharedSpin, .mailslotAccessList, .mailslotStream:
            stats = try writeMailslots()
        case .mailslotRead:
            stats = try writeOneByOne()
        case .cWin32, .cNative:
            let status = cl_writer_send(
                "\\\\.\\mailslot\\\(prefix)\\0", Transport(rawValue: transport) == .cWin32 ? 1 : 0, writerId, Int32(payload),
                seconds, rate, blocking ? 1 : 0, &stats)
            guard status == 0 else { throw BenchError.system("cl_writer_send", status) }
        case .cSharedRing:
            let status = cb_shm_send(prefix, writerId, Int32(payload), seconds, rate, blocking ? 1 : 0, &stats)
            guard status == 0 else { throw BenchError.system("cb_shm_send", -status) }
        case .cSharedMPSC:
            let status = cb_mpsc_send(prefix, writerId, Int32(payload), seconds, rate, blocking ? 1 : 0, &stats)
            guard status == 0 else { throw BenchError.system("cb_mpsc_send", -status) }
        case .cUnix:
            let status = cb_unix_send(
                prefix, Int32(count), Int32(first), Int32(step), writerId, Int32(payload), Int32(batch),
                seconds, rate, blocking ? 1 : 0, &stats)
            guard status == 0 else { throw BenchError.system("cb_unix_send", -status) }
        case .mailslotUDP, .cRecvmmsg, .cMSMail, .swiftNIO:
            throw ValidationError("UDP receivers take --transport udp-blast")
        case .posixMQ:
            let status = cb_mq_send(prefix, writerId, Int32(payload), seconds, rate, blocking ? 1 : 0, &stats)
            guard status == 0 else { throw BenchError.system("cb_mq_send", -status) }
        case nil:
            throw ValidationError("unknown transport \(transport)")
        }
        print("\(stats.attempted) \(stats.sent) \(stats.refused) \(stats.start_ns) \(stats.end_ns)")
    }

    /// The UDP blaster: one MS-MAIL datagram template per destination mailslot (built by the
    /// project's encoder, DIRECT_UNIQUE to BENCH<00>), sent round-robin by the C loop.
    private func blastDatagrams() throws -> cb_send_stats {
        let stride = 1024
        var templates: [UInt8] = []
        var lengths: [Int32] = []
        let source = try NetBIOSName("BLASTER\(writerId)", suffix: 0)
        let group = host.hasSuffix(".255")
        let destination = try NetBIOSName(group ? "BENCHDOM" : "BENCH", suffix: 0)
        for index in Swift.stride(from: first, to: count, by: step) {
            var encoder = MailslotWriteEncoder(
                type: group ? .directGroup : .directUnique, source: source, destination: destination,
                mailslotName: "\\MAILSLOT\\\(prefix)\\\(index)")
            encoder.sourceIP = 0x7F00_0001
            let datagram = try encoder.encode([UInt8](repeating: 0, count: payload))
            guard datagram.count <= stride else { throw ValidationError("datagram of \(datagram.count) bytes") }
            templates += datagram + [UInt8](repeating: 0, count: stride - datagram.count)
            lengths.append(Int32(datagram.count))
        }
        var stats = cb_send_stats()
        let status = cb_udp_blast(
            host, port, templates, Int32(lengths.count), Int32(stride), lengths, Int32(payload), writerId, Int32(batch),
            seconds, rate, total, &stats)
        guard status == 0 else { throw BenchError.system("cb_udp_blast", -status) }
        return stats
    }

    /// The same loop as `cb_unix_send`, through the project's client API: batches of `batch`
    /// messages per destination, stamped once per batch, paced by the same pacer.
    private func writeMailslots() throws -> cb_send_stats {
        var clients: [MailslotClient] = []
        for index in stride(from: first, to: count, by: step) {
            clients.append(try MailslotClient(MailslotName(localPath: "\(prefix)\\\(index)")))
        }
        // Plain locals: an @Option's getter instantiates generic metadata on every access, which
        // would put the harness's own cost into the measured loop.
        let (payload, writerId, batch) = (self.payload, self.writerId, self.batch)
        let messages = MailslotWriteBatch(capacity: batch, maxMessageSize: payload)
        var stats = cb_send_stats()
        var pacer = cb_pacer(start_ns: cb_now_ns(), rate: rate)
        stats.start_ns = pacer.start_ns
        let end = pacer.start_ns + UInt64(seconds * 1e9)
        let wait: Int? = blocking ? nil : 0
        var destination = 0
        while cb_now_ns() < end {
            let due = Int(cb_pacer_due(&pacer, stats.attempted, Int32(batch)))
            if due == 0 { continue }
            let now = cb_now_ns()
            for offset in 0..<due {
                messages.append { buffer in
                    cb_stamp_to(buffer.baseAddress, writerId, UInt32(destination), UInt32(truncatingIfNeeded: stats.attempted + UInt64(offset)), now)
                    return payload
                }
            }
            let sent = try clients[destination].write(messages, waitingUpTo: wait)
            messages.removeAll()
            stats.attempted += UInt64(due)
            stats.sent += UInt64(sent)
            stats.refused += UInt64(due - sent)
            destination = destination + 1 == clients.count ? 0 : destination + 1
        }
        stats.end_ns = cb_now_ns()
        return stats
    }

    /// The Swift API as the C rows use theirs: one `write` per message, stamped and paced the
    /// same way (the baseline of the C library's rows).
    private func writeOneByOne() throws -> cb_send_stats {
        let client = try MailslotClient(MailslotName(localPath: "\(prefix)\\0"))
        let (payload, writerId) = (self.payload, self.writerId)
        var message = [UInt8](repeating: 0x5A, count: payload)
        var stats = cb_send_stats()
        var pacer = cb_pacer(start_ns: cb_now_ns(), rate: rate)
        stats.start_ns = pacer.start_ns
        let end = pacer.start_ns + UInt64(seconds * 1e9)
        let wait: Int? = blocking ? nil : 0
        try message.withUnsafeMutableBytes { buffer in
            while cb_now_ns() < end {
                if cb_pacer_due(&pacer, stats.attempted, 1) == 0 { continue }
                cb_stamp(buffer.baseAddress, writerId, UInt32(truncatingIfNeeded: stats.attempted), cb_now_ns())
                stats.attempted += 1
                do {
                    try client.write(UnsafeRawBufferPointer(buffer), waitingUpTo: wait)
                    stats.sent += 1
                } catch MailslotError.queueFull {
                    stats.refused += 1
                }
            }
        }
        stats.end_ns = cb_now_ns()
        return stats
    }
}
