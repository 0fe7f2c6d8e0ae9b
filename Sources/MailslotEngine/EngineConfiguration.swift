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
    /// The open-file limit the engine raises the process to, for thousands of mailslots.
    public var wantedOpenFiles: Int = 1 << 17

    public init() {}
}
