import CoreMetrics
import Logging
import MailslotCore

/// Tunables of a ``MailslotEngine``.
public struct EngineConfiguration: Sendable {
    /// The most ring memory one mailslot may use, in bytes (rounded up to a power of two, and at
    /// least four messages of the mailslot's maximum size). Under push-back a receive may go one
    /// batch of largest messages beyond it (an overdraft, given back once read) rather than drop
    /// what it took from the kernel. Default 1 MiB.
    public var ringQuota: Int = 1 << 20
    /// Ring memory allocated when a mailslot receives its first message. Default 4 KiB.
    public var ringInitialCapacity: Int = 4096
    /// Datagrams per `recvmmsg` call. Default 32.
    public var batchSize: Int = 32
    /// `recvmmsg` calls per readable event, so one busy mailslot cannot starve the others.
    /// Default 4.
    public var batchesPerEvent: Int = 4
    /// What a mailslot does with local datagrams that arrive while its ring is at its quota.
    /// Default ``RingFullPolicy/pushBack``: local writers are told (queue full) rather than
    /// dropped. Datagrams from other computers have no way back: they are always dropped and
    /// counted.
    public var whenRingFull: RingFullPolicy = .pushBack
    /// The most ring memory all of this engine's mailslots may hold together, in bytes. A
    /// mailslot that would grow past it behaves as full (its writers are pushed back, or its
    /// datagrams dropped and counted as ``/MailslotCore/DropCounters/engineMemoryFull``). Default 512 MiB.
    public var ringMemoryLimit: Int = 512 << 20
    /// How often the engine gives idle rings' memory back, in seconds: a ring that stayed empty
    /// and received nothing for five periods in a row is freed, and a ring much larger than it
    /// needed shrinks. Default 1 s; `0` turns it off.
    public var idleSweepInterval: Double = 1
    /// Seconds a shared-memory writer may hold a claimed record uncommitted before the reader
    /// skips it and counts it in ``/MailslotCore/DropCounters/writerDied`` (Agrona's `unblock()`): a writer
    /// killed between claim and commit costs one message, not the mailslot. Default 1 s.
    public var sharedMemoryUnblockTimeout: Double = 1
    /// Seconds the reader of a shared-memory mailslot with a callback keeps polling its empty
    /// ring before it sleeps: the lowest latency, for a core's worth of CPU while it spins.
    /// Default `0` (sleep at once; writers wake it through an eventfd).
    public var sharedMemorySpin: Double = 0
    /// Who may write to the mailslots this engine creates, unless `createMailslot` says
    /// otherwise. Default ``/MailslotCore/WriterAccess/anyone``, as on Windows (any process that knows the
    /// name may write); the creator and root may always write. See `docs/security.md`.
    public var writers: WriterAccess = .anyone
    /// Where the engine reports trouble it cannot return to a caller: failed receives, relays
    /// and forwards of the datagram service, corrupt shared-memory rings, writers that died
    /// mid-write. Warnings only, each kind at most once per ``logInterval`` (with a count of
    /// those held back); never one per message. Default: a logger labelled `mailslot`, which
    /// goes wherever `LoggingSystem` was bootstrapped (stderr when it was not).
    public var logger = Logger(label: "mailslot")
    /// Seconds between two warnings of one kind. Default 10.
    public var logInterval: Double = 10
    /// Where the engine's counters and gauges go (see `mailslot_*` in docs/architecture.md),
    /// updated from its statistics once per ``idleSweepInterval``. `nil` (the default): the
    /// factory `MetricsSystem` was bootstrapped with, and no metrics work at all when it was
    /// not.
    public var metricsFactory: (any MetricsFactory)?
    /// How long a message stream may hold a small batch (under ``streamBatchTarget`` messages)
    /// while its consumer is parked, so that one thread wake-up carries more messages, in
    /// seconds. It applies only when the consumer waits: a consumer still busy with earlier
    /// batches gets each batch at once. Default 300 µs: the benchmark's stream row (424 B, one
    /// writer process) went from about 0.55× the loop callback's rate with no delay to 0.85–0.97×
    /// with it, on two cores, where each wake-up of the consumer's thread takes the receiving
    /// core from the loop. The price is up to this much latency per batch at low rates; `0`
    /// hands every batch over as soon as the loop has nothing more to read.
    public var streamBatchDelay: Double = 0.0003
    /// The batch size at which a stream stops waiting for more (see ``streamBatchDelay``).
    public var streamBatchTarget: Int = 256
    /// The open-file limit the engine raises the process to, for thousands of mailslots.
    public var wantedOpenFiles: Int = 1 << 17

    /// The defaults, as each property says.
    public init() {}
}

/// What the engine does when a mailslot's ring is at its quota and more datagrams arrive.
public enum RingFullPolicy: Sendable {
    /// Receive them and drop them, counting each in ``/MailslotCore/DropCounters/queueFull``: the loop keeps
    /// moving and the kernel queue never backs up (mailslot datagrams are unacknowledged), but
    /// local writers are not told.
    case drop
    /// Stop reading the mailslot until a reader makes room: the kernel queue fills and local
    /// writers get ``/MailslotCore/MailslotError/queueFull`` (Win32 `ERROR_NOT_ENOUGH_QUOTA`) at once, or wait
    /// for room when they asked to. Nothing is dropped. The default.
    case pushBack
}
