/// Datagrams a mailslot received but did not queue, counted by cause.
///
/// A local writer whose message cannot be queued is told so (``MailslotError/queueFull``), so
/// local queue-full conditions show up at the writer, not here. Counters here are for
/// datagrams that reached the engine and had to be dropped.
public struct DropCounters: Hashable, Sendable {
    /// Dropped because the mailslot's ring was at its quota.
    public var queueFull: UInt64 = 0
    /// Dropped because the datagram exceeded the mailslot's maximum message size.
    public var oversize: UInt64 = 0
    /// Dropped because the datagram could not be decoded (network transport).
    public var malformed: UInt64 = 0
    /// Dropped because no mailslot of that name exists here (network transport).
    public var unknownMailslot: UInt64 = 0

    public init() {}

    /// All drops, whatever the cause.
    public var total: UInt64 { queueFull + oversize + malformed + unknownMailslot }
}

/// Traffic counters of one mailslot.
public struct MailslotStatistics: Hashable, Sendable {
    /// Messages queued into the mailslot.
    public var received: UInt64 = 0
    /// Messages handed to a reader.
    public var delivered: UInt64 = 0
    /// Datagrams dropped, by cause.
    public var drops = DropCounters()

    public init() {}
}
