/// Tunables of a ``MailslotEngine``.
public struct EngineConfiguration: Sendable {
    /// The most ring memory one mailslot may use, in bytes (rounded up to a power of two, and at
    /// least enough for one message of the mailslot's maximum size). Default 1 MiB.
    public var ringQuota: Int = 1 << 20
    /// Ring memory allocated when a mailslot receives its first message. Default 4 KiB.
    public var ringInitialCapacity: Int = 4096
    /// Datagrams per `recvmmsg` call. Default 32.
    public var batchSize: Int = 32
    /// `recvmmsg` calls per readable event, so one busy mailslot cannot starve the others.
    /// Default 4.
    public var batchesPerEvent: Int = 4
    /// What a mailslot does with datagrams that arrive while its ring is at its quota.
    /// Default ``RingFullPolicy/drop``.
    public var whenRingFull: RingFullPolicy = .drop
    /// The open-file limit the engine raises the process to, for thousands of mailslots.
    public var wantedOpenFiles: Int = 1 << 17

    public init() {}
}

/// What the engine does when a mailslot's ring is at its quota and more datagrams arrive.
public enum RingFullPolicy: Sendable {
    /// Receive them and drop them, counting each in ``DropCounters/queueFull``: the loop keeps
    /// moving and the kernel queue never backs up (mailslot datagrams are unacknowledged).
    case drop
    /// Stop reading the mailslot until a reader makes room: the kernel queue fills and local
    /// writers get ``MailslotError/queueFull`` (Win32 `ERROR_NOT_ENOUGH_QUOTA`) at once.
    case pushBack
}
