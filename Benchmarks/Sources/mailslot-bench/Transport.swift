/// Who carries the messages in a trial: the project, or one of its baselines.
enum Transport: String, CaseIterable, Sendable {
    /// Mailslots: `MailslotClient` writers, one `MailslotEngine` reading every mailslot.
    case mailslot
    /// Mailslots offering their shared-memory ring: the same writers and engine, no system call
    /// per message; the reader sleeps on its eventfd when the ring is empty.
    case mailslotShared = "mailslot-shm"
    /// As ``mailslotShared``, the reader spinning 50 µs on an empty ring before it sleeps.
    case mailslotSharedSpin = "mailslot-shm-spin"
    /// Mailslots with a writer access list: the kernel attaches each writer's credentials to
    /// its messages, and the engine checks every one (`SO_PASSCRED`).
    case mailslotAccessList = "mailslot-acl"
    /// Mailslots read through the async message stream by a consuming task (the embedder's
    /// `for await` path), against the same writers as ``mailslot`` (the loop callback).
    case mailslotStream = "mailslot-stream"
    /// The Swift API one message per call: `MailslotClient.write(_:)` into a blocking
    /// `MailslotServer.read(into:)`: the baseline of the C library's rows.
    case mailslotRead = "mailslot-read"
    /// C through libmailslot's Win32 API: `WriteFile` into `ReadFile`, one message per call.
    case cWin32 = "c-win32"
    /// C through libmailslot's native API: `msl_send` into `msl_recv`, one message per call.
    case cNative = "c-native"
    /// Plain C over AF_UNIX datagram sockets (sendmmsg; epoll + recvmmsg).
    case cUnix = "c-af-unix"
    /// Plain C over POSIX message queues (mq_send; epoll + mq_receive).
    case posixMQ = "posix-mq"
    /// MS-MAIL datagrams on UDP into the engine's datagram service, spread over mailslots.
    case mailslotUDP = "mailslot-udp"
    /// A plain C recvmmsg receiver on the same UDP traffic: counts bytes, looks at nothing (the
    /// bare limit).
    case cRecvmmsg = "c-recvmmsg"
    /// C doing what the datagram service does (senders, drop counter, MS-MAIL checks, hash
    /// lookup over as many mailslots, a call per message): the like-for-like baseline.
    case cMSMail = "c-msmail"
    /// A SwiftNIO DatagramChannel receiver on the same UDP traffic.
    case swiftNIO = "swift-nio"
    /// Plain C, one producer, over a POSIX shared-memory ring busy-polled by the receiver: the
    /// practical ceiling for shared memory.
    case cSharedRing = "c-shm-ring"
    /// C doing what a mailslot's shared-memory ring does: many writers claiming with a
    /// compare-and-swap, headers checked, a reader that sleeps on a futex when the ring is
    /// empty (shm_mpsc.c): the like-for-like baseline of the shared-memory rows.
    case cSharedMPSC = "c-shm-mpsc"

    /// Whether writers use the mailslot client (and so the project's engine receives).
    var isMailslot: Bool {
        self == .mailslot || self == .mailslotShared || self == .mailslotSharedSpin || self == .mailslotAccessList
            || self == .mailslotStream || self == .mailslotRead
    }

    /// Whether writers send UDP datagrams (the blaster) rather than local messages.
    var isUDP: Bool { self == .mailslotUDP || self == .cRecvmmsg || self == .cMSMail || self == .swiftNIO }
}
