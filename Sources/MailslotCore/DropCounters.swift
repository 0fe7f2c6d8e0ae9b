/// Datagrams a mailslot received but did not queue, counted by cause.
///
/// Counters here are for datagrams that reached the engine and had to be dropped. A local
/// writer whose datagram the kernel could not queue at all is told so instead
/// (``MailslotError/queueFull``), so every message sent is either delivered, counted here, or
/// reported to its writer.
public struct DropCounters: Hashable, Sendable {
    /// Dropped because the mailslot's ring was at its quota.
    public var queueFull: UInt64 = 0
    /// Dropped because the datagram exceeded the mailslot's maximum message size.
    public var oversize: UInt64 = 0
    /// Dropped because the datagram could not be decoded (network transport).
    public var malformed: UInt64 = 0
    /// Dropped because no mailslot of that name exists here (network transport).
    public var unknownMailslot: UInt64 = 0
    /// Dropped because it was addressed to another computer or domain (network transport).
    public var wrongDestination: UInt64 = 0

    public init() {}

    /// All drops, whatever the cause.
    public var total: UInt64 { queueFull + oversize + malformed + unknownMailslot + wrongDestination }

    /// Adds another set of counters to these.
    public mutating func add(_ other: DropCounters) {
        queueFull &+= other.queueFull
        oversize &+= other.oversize
        malformed &+= other.malformed
        unknownMailslot &+= other.unknownMailslot
        wrongDestination &+= other.wrongDestination
    }
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

    /// Adds another mailslot's counters to these.
    public mutating func add(_ other: MailslotStatistics) {
        received &+= other.received
        delivered &+= other.delivered
        drops.add(other.drops)
    }
}
