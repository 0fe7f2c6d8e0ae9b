import CLibEv
import Glibc
import MailslotCore
import MailslotWire

// The network side of an engine: running the host's datagram service.
extension MailslotEngine {
    /// Runs the host's NetBIOS datagram service in this engine: from now on mailslot writes from
    /// other computers reach every mailslot on this host (this engine's directly, other
    /// processes' through the local transport).
    /// - Throws: ``/MailslotCore/MailslotError/alreadyExists(_:)`` when another process owns the port;
    ///   ``/MailslotCore/MailslotError/invalidParameter(_:)`` for a privileged port without the privilege.
    public func startDatagramService(_ configuration: NetworkConfiguration) throws(MailslotError) {
        guard datagramService == nil else { throw .invalidParameter("the datagram service already runs in this engine") }
        let service = try DatagramService(configuration: configuration)
        CLibEv_io_init(service.watcher, { loop, _, _ in
            guard let loop else { return }
            MailslotEngine.from(loop).handleDatagrams()
        }, service.fd, Int32(EV_READ))
        ev_io_start(loop, service.watcher)
        CLibEv_io_init(service.outbox.watcher, { loop, _, _ in
            guard let loop else { return }
            MailslotEngine.from(loop).handleOutbox()
        }, service.outbox.fd, Int32(EV_READ))
        ev_io_start(loop, service.outbox.watcher)
        datagramService = service
    }

    /// Sends what writers left in the outbox now (bounded).
    func flushOutbox() {
        guard let service = datagramService else { return }
        var batches = 0
        while batches < 1024, service.outbox.forward(through: service.fd, port: service.port, statistics: &service.statistics) {
            batches += 1
        }
    }

    /// Writers' datagrams in the outbox: forwarded from the service's port, a few batches per
    /// event (level-triggered: what is left raises the event again).
    func handleOutbox() {
        guard let service = datagramService else { return }
        let failedBefore = service.statistics.forwardFailed
        for _ in 0..<configuration.batchesPerEvent {
            guard service.outbox.forward(through: service.fd, port: service.port, statistics: &service.statistics) else { break }
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
        ev_io_stop(loop, service.watcher)
        ev_io_stop(loop, service.outbox.watcher)
        flushOutbox()
        service.refreshKernelDrops()
        // Stopped from a callback in the middle of a batch: the rest of it is unread too.
        var unread = service.batchCount - service.nextDatagram
        service.nextDatagram = service.batchCount
        for _ in 0..<1024 {
            service.statistics.received &+= UInt64(unread)
            service.statistics.drops.closedUnread &+= UInt64(unread)
            unread = service.receiveBatch()
            service.nextDatagram = unread
            if unread < DatagramService.batchSize { break }
        }
        service.statistics.received &+= UInt64(unread)
        service.statistics.drops.closedUnread &+= UInt64(unread)
        service.refreshKernelDrops()
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
        for _ in 0..<configuration.batchesPerEvent {
            handleUnhandledDatagrams(service)
            let count = service.receiveBatch()
            if let error = service.lastReceiveError {
                service.lastReceiveError = nil
                log.warning(.serviceReceiveFailed, "the datagram service's receive failed: \(error)", now: system_monotonicSeconds())
            }
            handleUnhandledDatagrams(service)
            while let slot = service.touchedSlots.popLast() {
                if let record = slots[slot] { deliver(record) }
            }
            if count < DatagramService.batchSize || datagramService !== service { break }
        }
    }

    /// Handles the current batch from its cursor on (a nested loop run may have taken some).
    private func handleUnhandledDatagrams(_ service: DatagramService) {
        while service.nextDatagram < service.batchCount {
            let index = service.nextDatagram
            service.nextDatagram = index + 1
            handleDatagram(service, index)
        }
    }

    private func handleDatagram(_ service: DatagramService, _ index: Int) {
        service.statistics.received &+= 1
        let (bytes, length, sender) = service.datagram(index)
        guard service.acceptsSender(sender.address) else { return service.statistics.drops.accessDenied &+= 1 }
        guard length <= DatagramService.slotBytes else { return service.statistics.drops.oversize &+= 1 }
        let datagram: MailslotDatagram
        do {
            datagram = try MailslotDatagram.decode(bytes)
        } catch {
            if case .tooLarge = error { service.statistics.drops.oversize &+= 1 } else { service.statistics.drops.malformed &+= 1 }
            return
        }
        guard service.isAddressedHere(datagram) else { return service.statistics.drops.wrongDestination &+= 1 }
        // The path after `\MAILSLOT\`, hashed as the local transport names it: no strings, no
        // allocation, and the same key whichever process owns the mailslot.
        let path = datagram.mailslotNameRange.dropFirst(10)
        let hash = PathHash(asciiPath: UnsafeRawBufferPointer(rebasing: bytes[path]))
        let payload = UnsafeRawBufferPointer(rebasing: bytes[datagram.dataRange])
        guard let slot = slotIndexByPath[hash], let record = slots[slot] else {
            guard service.configuration.relaysToOtherProcesses else { return service.statistics.drops.unknownMailslot &+= 1 }
            return relay(service, payload, to: hash)
        }
        let origin = MessageOrigin(
            ip: sender.address, port: sender.port, source: datagram.source, destination: datagram.destination,
            type: datagram.type)
        if record.takesDirectly, payload.count <= record.limit {
            service.statistics.delivered &+= 1
            deliverDirectly(record, payload, origin: origin)
        } else if record.appendRemote(payload, origin: origin) {
            service.statistics.delivered &+= 1
            if service.touchedSlots.last != slot { service.touchedSlots.append(slot) }
        } else {
            service.statistics.drops.queueFull &+= 1
        }
    }

    /// Hands a message from another computer to the slot's callback in place (see
    /// ``SlotRecord/takesDirectly``). It is counted received and delivered before the call, as
    /// a queued one is when consumed; the callback holds it as it would a pinned one.
    private func deliverDirectly(_ record: SlotRecord, _ payload: UnsafeRawBufferPointer, origin: MessageOrigin) {
        record.statistics.received &+= 1
        record.statistics.delivered &+= 1
        record.statistics.deliveredBytes &+= UInt64(payload.count)
        record.borrowed = true
        if let bytesHandler = record.bytesHandler { bytesHandler(payload) } else { record.handler?(payload, origin) }
        record.borrowed = false
        // What the callback let in meanwhile (a nested loop run, a queued read) is served now.
        if record.isOpen, !record.ring.isEmpty || record.liveWaiters > 0 { deliver(record) }
    }

    /// Hands a message to another process's mailslot through the local transport.
    private func relay(_ service: DatagramService, _ payload: UnsafeRawBufferPointer, to hash: PathHash) {
        let result = service.relay(payload, to: hash)
        switch result {
        case .success(.processed): service.statistics.relayed &+= 1
        case .success(.wouldBlock): service.statistics.drops.queueFull &+= 1
        case .failure(let error) where error.errno == EMSGSIZE: service.statistics.drops.oversize &+= 1
        case .failure(let error) where error.errno == ECONNREFUSED || error.errno == ENOENT:
            service.statistics.drops.unknownMailslot &+= 1  // no such mailslot here: normal traffic
        case .failure(let error):
            service.statistics.drops.unknownMailslot &+= 1
            log.warning(.relayFailed, "relaying a remote message to a local mailslot failed: \(error)", now: system_monotonicSeconds())
        }
    }
}
