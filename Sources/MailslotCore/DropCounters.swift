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
    /// Dropped by the kernel because the receiving socket's buffer was full (network transport;
    /// the exact per-socket count of `SO_RXQ_OVFL`).
    public var kernelBufferFull: UInt64 = 0
    /// Dropped because the engine's ring memory cap (`EngineConfiguration``'s
    /// `ringMemoryLimit`) was spent, though this mailslot was below its own quota.
    public var engineMemoryFull: UInt64 = 0
    /// Queued but never read: the last server handle closed with them in the queue (Win32
    /// discards them the same way).
    public var closedUnread: UInt64 = 0
    /// Shared-memory records a writer claimed and never committed: it died, stalled past the
    /// engine's unblock timeout, or was mid-write when the mailslot closed. The reader skipped
    /// them; a writer still alive fails its write (`ERROR_OPERATION_ABORTED`, or
    /// `ERROR_BROKEN_PIPE` at close).
    public var writerDied: UInt64 = 0
    /// Shared-memory messages thrown away when the ring was found written over (outside the
    /// protocol) and reset. **An estimate**: exact where their headers could still be read,
    /// otherwise the bytes lost divided by the average message (see `docs/architecture.md`).
    public var ringResetEstimated: UInt64 = 0
    /// Datagrams that carried descriptors or other control data (`SCM_RIGHTS`, cut control
    /// data) and were not a writer's request for the shared-memory ring: a mailslot message is
    /// bytes only, so they are refused and their descriptors closed at once.
    public var carriedDescriptors: UInt64 = 0
    /// Refused because the writer is not on the mailslot's access list (its uid and gid, as the
    /// kernel attached them to the message; see ``WriterAccess``).
    public var accessDenied: UInt64 = 0

    /// No drops.
    public init() {}

    /// All drops, whatever the cause.
    public var total: UInt64 {
        queueFull &+ oversize &+ malformed &+ unknownMailslot &+ wrongDestination &+ kernelBufferFull &+ engineMemoryFull
            &+ closedUnread &+ writerDied &+ accessDenied &+ ringResetEstimated &+ carriedDescriptors
    }

    /// The non-zero causes as `name count` pairs, for summaries (`"none"` when there are none).
    public var summary: String {
        let named = causes.filter { $0.count > 0 }.map { "\($0.name) \($0.count)" }
        return named.isEmpty ? "none" : named.joined(separator: ", ")
    }

    /// Every cause with its count, named as in ``summary`` (`queue-full`, …), in a fixed order.
    public var causes: [(name: String, count: UInt64)] {
        [
            ("queue-full", queueFull), ("oversize", oversize), ("malformed", malformed),
            ("unknown-mailslot", unknownMailslot), ("wrong-destination", wrongDestination),
            ("kernel-buffer-full", kernelBufferFull), ("engine-memory-full", engineMemoryFull),
            ("closed-unread", closedUnread), ("writer-died", writerDied), ("access-denied", accessDenied),
            ("ring-reset-estimated", ringResetEstimated), ("carried-descriptors", carriedDescriptors),
        ]
    }

    /// Adds another set of counters to these.
    public mutating func add(_ other: DropCounters) {
        queueFull &+= other.queueFull
        oversize &+= other.oversize
        malformed &+= other.malformed
        unknownMailslot &+= other.unknownMailslot
        wrongDestination &+= other.wrongDestination
        kernelBufferFull &+= other.kernelBufferFull
        engineMemoryFull &+= other.engineMemoryFull
        closedUnread &+= other.closedUnread
        writerDied &+= other.writerDied
        accessDenied &+= other.accessDenied
        ringResetEstimated &+= other.ringResetEstimated
        carriedDescriptors &+= other.carriedDescriptors
    }
}

/// Traffic counters of one mailslot.
public struct MailslotStatistics: Hashable, Sendable {
    /// Messages queued into the mailslot.
    public var received: UInt64 = 0
    /// Messages handed to a reader.
    public var delivered: UInt64 = 0
    /// Bytes of the messages handed to a reader.
    public var deliveredBytes: UInt64 = 0
    /// Datagrams dropped, by cause.
    public var drops = DropCounters()
    /// Receive calls that failed with an error other than "nothing to read" (the datagrams stay
    /// in the kernel and are read by a later call; the count shows that something is wrong).
    public var receiveErrors: UInt64 = 0
    /// Times a shared-memory ring was found corrupt (written outside the protocol) and reset:
    /// what it held was lost, and the socket path kept working.
    public var sharedMemoryResets: UInt64 = 0
    /// Messages that came through the shared-memory ring (counted in ``received`` too).
    public var receivedThroughSharedMemory: UInt64 = 0

    /// All counters at zero.
    public init() {}

    /// Messages received and not yet delivered or dropped at close: what is queued now (for a
    /// shared-memory mailslot, what came by socket: its ring's messages count as received
    /// when they are read).
    public var queued: UInt64 { received &- delivered &- drops.closedUnread }

    /// Adds another mailslot's counters to these.
    public mutating func add(_ other: MailslotStatistics) {
        received &+= other.received
        delivered &+= other.delivered
        deliveredBytes &+= other.deliveredBytes
        drops.add(other.drops)
        receiveErrors &+= other.receiveErrors
        sharedMemoryResets &+= other.sharedMemoryResets
        receivedThroughSharedMemory &+= other.receivedThroughSharedMemory
    }
}
