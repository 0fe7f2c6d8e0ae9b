import CLibEv
import Glibc
import MailslotCore
import MailslotWire

// The network side of an engine: wiring the host's datagram service to this engine's
// mailslots. The service filters, counts, relays and stops on its own (``DatagramService``);
// the engine finds the mailslot and delivers.
extension MailslotEngine {
    /// Runs the host's NetBIOS datagram service in this engine: from now on mailslot writes from
    /// other computers reach every mailslot on this host (this engine's directly, other
    /// processes' through the local transport).
    /// - Throws: ``/MailslotCore/MailslotError/alreadyExists(_:)`` when another process owns the port;
    ///   ``/MailslotCore/MailslotError/invalidParameter(_:)`` for a privileged port without the privilege.
    public func startDatagramService(_ configuration: NetworkConfiguration) throws(MailslotError) {
        guard datagramService == nil else { throw .invalidParameter("the datagram service already runs in this engine") }
        let service = try DatagramService(configuration: configuration, log: log)
        service.start(loop: loop)
        datagramService = service
    }

    /// Sends what writers left in the outbox now (bounded).
    func flushOutbox() {
        guard let service = datagramService else { return }
        var batches = 0
        while batches < 1024, service.forwardOutbox() { batches += 1 }
    }

    /// Writers' datagrams in the outbox: forwarded from the service's port, a few batches per
    /// event (level-triggered: what is left raises the event again).
    func handleOutbox() {
        guard let service = datagramService else { return }
        let failedBefore = service.statistics.forwardFailed
        for _ in 0..<configuration.batchesPerEvent {
            guard service.forwardOutbox() else { break }
        }
        let failed = service.statistics.forwardFailed &- failedBefore
        if failed > 0 {
            log.warning(
                .forwardFailed, "the kernel refused \(failed) outgoing datagram(s) of this host's writers "
                    + "(a full send buffer or an unreachable network)", now: system_monotonicSeconds())
        }
    }

    /// The datagram service's counters (`nil` when this engine does not run it).
    /// The kernel's drops for the service's socket are read fresh (`kernelBufferFull`). After
    /// ``stopDatagramService()``, its final counters.
    public var datagramStatistics: DatagramStatistics? {
        guard let service = datagramService else { return stoppedDatagramStatistics }
        service.refreshKernelDrops()
        return service.statistics
    }

    /// Stops the datagram service and frees its port. Datagrams this host's writers left in its
    /// outbox are sent first. Datagrams still in its socket's queue are
    /// read and counted as unread at close (``/MailslotCore/DropCounters/closedUnread``), so the counters add
    /// up: every datagram that reached the socket is delivered, relayed, or dropped by cause.
    public func stopDatagramService() {
        guard let service = datagramService else { return }
        flushOutbox()
        service.stopReceiving()
        stoppedDatagramStatistics = service.statistics
        datagramService = nil
    }

    /// The UDP port the datagram service listens on (useful when it was given port 0 in tests).
    public var datagramPort: UInt16? {
        datagramService?.port
    }

    /// A readable event on the UDP port: up to 4 batches. A message whose mailslot has a
    /// callback and nothing queued goes straight to the callback from the receive buffer (no
    /// copy); the rest are queued, and each mailslot that got some is served once per batch.
    func handleDatagrams() {
        guard let service = datagramService else { return }
        service.handleEvent(
            batches: configuration.batchesPerEvent,
            handOff: { hash, payload, origin in
                guard let (slot, record) = table.slot(forPath: hash) else { return .notHere }
                if record.takesDirectly, payload.count <= record.limit {
                    deliverDirectly(record, payload, origin: origin)
                    return .delivered
                }
                return record.appendRemote(payload, origin: origin) ? .queued(slot: slot) : .queueFull
            },
            serve: { slot in if let record = table[slot] { deliver(record) } })
    }

    /// Hands a message from another computer to the slot's callback in place (see
    /// ``SlotRecord/takesDirectly``). It is counted received and delivered before the call, as
    /// a queued one is when consumed; the callback holds it as it would a pinned one.
    private func deliverDirectly(_ record: SlotRecord, _ payload: UnsafeRawBufferPointer, origin: MessageOrigin) {
        record.statistics.received &+= 1
        record.statistics.delivered &+= 1
        record.statistics.deliveredBytes &+= UInt64(payload.count)
        record.borrowed = true
        if let bytesHandler = record.bytesHandler { bytesHandler(payload.bytes) } else { record.handler?(payload.bytes, origin) }
        record.borrowed = false
        // What the callback let in meanwhile (a nested loop run, a queued read) is served now.
        if record.isOpen, !record.ring.isEmpty || record.liveWaiters > 0 { deliver(record) }
    }
}
