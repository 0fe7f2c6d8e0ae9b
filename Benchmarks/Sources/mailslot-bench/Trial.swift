import CBaselines
import Glibc
import MailslotEngine

/// One measured run: a receiver, its writer processes, and what both saw.
struct Trial {
    var transport: Transport
    var payload: Int
    var mailslots: Int
    var writers: Int
    var seconds: Double
    /// Total offered messages/s over all writers; 0: writers go as fast as the receiver takes
    /// them (blocking writes).
    var offeredRate: Double = 0
    /// Drain mode (UDP): writers send `drainMessages` while the receiver does not read; then the
    /// receiver empties the backlog. Its rate is the receiver's capacity, whatever the writers'.
    var drainMessages: Int = 0
    /// The UDP receive buffer (drain trials need one that holds the whole backlog).
    var receiveBufferBytes = 4 << 20

    struct Outcome {
        var attempted: UInt64 = 0
        var delivered: UInt64 = 0
        var countedDrops: UInt64 = 0
        var writeErrors: UInt64 = 0
        /// Out of order per writer per mailslot (a broken promise).
        var outOfOrder: UInt64 = 0
        /// Reordered across a writer's mailslots (separate queues interleave; not a fault).
        var reorderedAcrossMailslots: UInt64 = 0
        var offeredPerSecond = 0.0
        var deliveredPerSecond = 0.0
        var latency: (p50: Double, p99: Double, p999: Double)?
        var rssGrowth: Int = 0
        /// CPU the receiving process spent per delivered message, in µs (its loop and, for
        /// SwiftNIO, its event-loop thread; writers are other processes).
        var receiverCPUPerMessage: Double?

        /// Messages neither delivered, nor counted as dropped, nor refused to their writer.
        var unaccounted: Int64 { Int64(attempted) - Int64(delivered) - Int64(countedDrops) - Int64(writeErrors) }
        var lossPercent: Double { attempted == 0 ? 0 : 100 * Double(attempted - min(delivered, attempted)) / Double(attempted) }
    }

    /// This trial, carried by `transport`.
    func by(_ transport: Transport) -> Trial {
        var trial = self
        trial.transport = transport
        return trial
    }

    /// Ring bytes of the shared-memory rows, ours and the C baseline's alike.
    static let sharedMemoryBytes = 1 << 20

    /// A short mailslot path prefix for UDP trials: `\MAILSLOT\` + path + NUL + 424 bytes must fit
    /// MS-MAIL's 443, so paths stay at 8 characters (`u7\9999`).
    private func udpPrefix(_ serial: Int) -> String { "u\(serial % 10)" }

    /// Runs the trial; `serial` makes its names unique in this run.
    func run(tally: Tally, serial: Int, queues: KernelQueues) throws(BenchError) -> Outcome {
        let pid = getpid()
        tally.reset()
        cb_malloc_trim()
        let rssBefore = cb_rss_bytes()
        let receiver: Receiver = try queues.whileRaised { () throws(BenchError) -> Receiver in
            switch transport {
            case .mailslot:
                try MailslotReceiver(prefix: "bench\\\(pid)\\\(serial)", count: mailslots, tally: tally)
            case .mailslotStream:
                try StreamReceiver(prefix: "bench\\\(pid)\\\(serial)")
            case .mailslotAccessList:
                try MailslotReceiver(
                    prefix: "bench\\\(pid)\\\(serial)", count: mailslots, tally: tally, transport: transport,
                    writers: WriterAccess(uids: [47_001], gids: [47_010]))
            case .mailslotShared, .mailslotSharedSpin:
                try MailslotReceiver(
                    prefix: "bench\\\(pid)\\\(serial)", count: mailslots, tally: tally, transport: transport,
                    sharedMemoryBytes: Self.sharedMemoryBytes, spin: transport == .mailslotSharedSpin ? 50e-6 : 0)
            case .mailslotRead:
                try BlockingReadReceiver(prefix: "bench\\\(pid)\\\(serial)")
            case .cWin32, .cNative:
                try CLibraryReceiver(prefix: "bench\\\(pid)\\\(serial)", transport: transport)
            case .cSharedRing:
                try SharedRingReceiver(prefix: "/mailslot-bench-\(pid)-\(serial)", capacity: Self.sharedMemoryBytes)
            case .cSharedMPSC:
                try SharedMPSCReceiver(prefix: "/mailslot-bench-\(pid)-\(serial)", capacity: Self.sharedMemoryBytes, maxLength: payload)
            case .cUnix:
                try UnixReceiver(prefix: "mailslot-bench/\(pid)/\(serial)", count: mailslots, maxSize: max(payload, 2048))
            case .posixMQ:
                try QueueReceiver(
                    prefix: "/mailslot-bench-\(pid)-\(serial)", messageSize: payload,
                    depth: queues.queueDepth(messageSize: payload))
            case .mailslotUDP:
                try UDPMailslotReceiver(prefix: udpPrefix(serial), count: mailslots, tally: tally, bufferBytes: receiveBufferBytes)
            case .cRecvmmsg:
                try RecvmmsgReceiver(prefix: udpPrefix(serial), payload: payload, bufferBytes: receiveBufferBytes)
            case .cMSMail:
                try MSMailReceiver(prefix: udpPrefix(serial), mailslots: mailslots, bufferBytes: receiveBufferBytes)
            case .swiftNIO:
                #if SwiftNIOBaseline
                try NIOReceiver(
                    prefix: udpPrefix(serial), payload: payload, tally: tally, bufferBytes: receiveBufferBytes,
                    drain: drainMessages > 0)
                #else
                throw BenchError.setup("this mailslot-bench was built without the SwiftNIOBaseline trait (scripts/build-bench.sh builds it in)")
                #endif
            }
        }
        var done: [Int32] = [0, 0]
        let piped = cb_pipe(&done)
        guard piped == 0 else { throw .system("pipe2", -piped) }
        var children: [ChildProcess] = []
        let writerCPU = sysconf(Int32(_SC_NPROCESSORS_ONLN)) > 1 ? 0 : -1
        for writer in 0..<writers {
            var arguments = ["writer"] + receiver.writerArguments + [
                "--count", "\(mailslots)", "--first", "\(mailslots > 1 ? writer : 0)",
                "--step", "\(mailslots > 1 ? writers : 1)", "--writer-id", "\(writer)",
                "--payload", "\(payload)", "--seconds", "\(seconds)", "--cpu", "\(writerCPU)",
            ]
            if drainMessages > 0 { arguments += ["--total", "\(drainMessages / writers)"] }
            if offeredRate > 0 {
                arguments += ["--rate", "\(offeredRate / Double(writers))"]
            } else {
                arguments.append("--blocking")
            }
            do {
                children.append(try ChildProcess(arguments: arguments, holdOpen: done[1]))
            } catch {
                close(done[1])
                for child in children { _ = try? child.finish() }
                close(done[0])
                throw error
            }
        }
        close(done[1])
        defer { close(done[0]) }
        if drainMessages > 0 {
            // Let the backlog build: the receiver starts once every writer has exited.
            var entry = pollfd(fd: done[0], events: Int16(POLLIN), revents: 0)
            while poll(&entry, 1, 100) <= 0 {}
        }
        let cpuBefore = cb_process_cpu_ns()
        try receiver.receive(doneFD: done[0], tally: tally)
        let cpuUsed = cb_process_cpu_ns() - cpuBefore
        var outcome = Outcome()
        var first = UInt64.max
        var last = UInt64(0)
        for child in children {
            let fields = try child.finish().split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { UInt64($0) }
            guard fields.count == 5 else { throw .setup("unexpected writer output: \(fields)") }
            outcome.attempted += fields[0]
            outcome.writeErrors += fields[2]
            first = min(first, fields[3])
            last = max(last, fields[4])
        }
        outcome.delivered = tally.received
        outcome.countedDrops = receiver.countedDrops
        outcome.outOfOrder = tally.outOfOrder
        outcome.reorderedAcrossMailslots = tally.reorderedAcrossMailslots
        outcome.deliveredPerSecond = tally.deliveredPerSecond
        // What the writers really offered (a paced writer may fall short of its target).
        outcome.offeredPerSecond = last > first ? Double(outcome.attempted) / (Double(last - first) / 1e9) : 0
        outcome.latency = tally.latencyPercentiles()
        if tally.received > 0 { outcome.receiverCPUPerMessage = Double(cpuUsed) / 1000 / Double(tally.received) }
        outcome.rssGrowth = Int(cb_rss_bytes()) - Int(rssBefore)
        return outcome
    }
}
