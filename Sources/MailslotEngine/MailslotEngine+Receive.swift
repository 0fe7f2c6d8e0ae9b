import CLibEv
import MailslotCore
import MailslotRing

// The receive path: kernel → ring, zero-copy, batched and budgeted.

/// What one `recvmmsg` left behind.
enum IngestOutcome {
    /// The batch was full: more datagrams may be waiting.
    case more
    /// A short batch or EAGAIN: the kernel queue is empty (as far as one call can tell).
    case drained
    /// The ring is at its quota: reading stopped until a reader makes room.
    case ringFull
}
extension MailslotEngine {
    /// A readable event: up to `batchesPerEvent` recvmmsg calls, stopping at a short batch
    /// (libev is level-triggered, so what is left raises the event again).
    ///
    /// A mailslot with a callback gets each batch as soon as it lands, so its ring space is
    /// reused at once and the ring stays at its initial size however busy the mailslot is.
    func handleReadable(index: Int) {
        guard index < slots.count, let record = slots[index] else { return }
        for _ in 0..<configuration.batchesPerEvent {
            let outcome = ingest(record)
            if record.handler != nil {
                deliver(record)
                guard slots[index] === record else { return }
            }
            if outcome != .more { break }
        }
        deliver(record)
    }

    /// The fewest slots a receive claims before the ring grows: a batch of 8 keeps recvmmsg
    /// worth its call while a busy mailslot's ring stays at a few KiB.
    static let minimumClaimSlots = 8

    /// Moves everything the kernel holds for `record` into its ring (until EAGAIN or the quota).
    func drainSocket(_ record: SlotRecord) {
        while ingest(record) == .more {}
    }

    /// One `recvmmsg` into claimed ring space.
    /// - Returns: whether more may be waiting in the kernel (a full batch), the kernel queue was
    ///   drained (a short batch), or the ring is at its quota.
    func ingest(_ record: SlotRecord) -> IngestOutcome {
        guard !record.paused else { return .ringFull }
        let limit = record.limit
        let estimate = record.sizeEstimate
        guard let claim = record.ring.claim(slotPayload: estimate, maxSlots: batch.capacity, minSlots: Self.minimumClaimSlots) else {
            switch configuration.whenRingFull {
            case .drop:
                return discardBatch(record)
            case .pushBack:
                pause(record)
                return .ringFull
            }
        }
        for index in 0..<claim.count {
            batch.prepare(index, ring: claim.payloadAddress(index), ringBytes: estimate, overflowBytes: limit - estimate)
        }
        let count: Int
        do {
            switch try batch.receive(fd: record.fd, count: claim.count) {
            case .wouldBlock:
                record.ring.abort(claim)
                return .drained
            case .processed(let received):
                count = Int(received)
            }
        } catch {
            // A receive error on a local datagram socket is not recoverable data; treat as drained.
            record.ring.abort(claim)
            return .drained
        }
        var firstOverflow: Int?
        for index in 0..<count {
            let length = batch.length(index)
            if length > limit {
                record.statistics.drops.oversize &+= 1
            } else if length > estimate, firstOverflow == nil {
                firstOverflow = index
            }
        }
        if let firstOverflow {
            commitWithOverflow(record, claim: claim, count: count, firstOverflow: firstOverflow)
        } else {
            record.ring.commit(claim, count: count) { [batch] index in
                let length = batch.length(index)
                return length > limit ? nil : length
            }
            record.statistics.received &+= UInt64(count)
        }
        return count < claim.count ? .drained : .more
    }

    /// The ring is at its quota under ``RingFullPolicy/drop``: one `recvmmsg` into the overflow
    /// areas, every datagram counted as a queue-full (or oversize) drop.
    private func discardBatch(_ record: SlotRecord) -> IngestOutcome {
        let limit = record.limit
        for index in 0..<batch.capacity {
            batch.prepare(index, ring: batch.overflowArea(index), ringBytes: 0, overflowBytes: limit)
        }
        let count: Int
        do {
            switch try batch.receive(fd: record.fd, count: batch.capacity) {
            case .wouldBlock: return .drained
            case .processed(let received): count = Int(received)
            }
        } catch {
            return .drained
        }
        for index in 0..<count {
            if batch.length(index) > limit {
                record.statistics.drops.oversize &+= 1
            } else {
                record.statistics.drops.queueFull &+= 1
            }
        }
        return count < batch.capacity ? .drained : .more
    }

    /// The rare path: a datagram longer than the size estimate arrived split between ring space
    /// and its overflow area. Messages from it on are staged whole in their overflow areas,
    /// those before it are committed in place, then the staged ones are appended in order
    /// (keeping FIFO) and the estimate grows so the next batch receives them in place.
    private func commitWithOverflow(_ record: SlotRecord, claim: RingClaim, count: Int, firstOverflow: Int) {
        let limit = record.limit
        let estimate = record.sizeEstimate
        var largest = estimate
        for index in firstOverflow..<count {
            let length = batch.length(index)
            guard length <= limit else { continue }
            let staging = batch.overflowArea(index)
            let ringPart = min(length, estimate)
            if length > estimate {
                (staging + estimate).copyMemory(from: staging, byteCount: length - estimate)
            }
            staging.copyMemory(from: claim.payloadAddress(index), byteCount: ringPart)
            largest = max(largest, length)
        }
        let batch = self.batch
        record.ring.commit(claim, count: firstOverflow) { index in
            let length = batch.length(index)
            return length > limit ? nil : length
        }
        var received = 0
        for index in 0..<firstOverflow where batch.length(index) <= limit { received += 1 }
        for index in firstOverflow..<count {
            let length = batch.length(index)
            guard length <= limit else { continue }
            if record.ring.append(UnsafeRawBufferPointer(start: batch.overflowArea(index), count: length)) {
                received += 1
            } else {
                record.statistics.drops.queueFull &+= 1
            }
        }
        record.statistics.received &+= UInt64(received)
        record.sizeEstimate = min(limit, (largest + 63) & ~63)
    }

    /// Stops reading a mailslot whose ring is at its quota: the kernel queue then fills and
    /// writers get ``MailslotError/queueFull``.
    func pause(_ record: SlotRecord) {
        guard !record.paused else { return }
        record.paused = true
        ev_io_stop(loop, record.watcher)
    }

    /// Resumes reading after a reader made room.
    func resumeIfPaused(_ record: SlotRecord) {
        guard record.paused else { return }
        record.paused = false
        ev_io_start(loop, record.watcher)
    }

    /// Hands queued messages to the slot's callback, else to its waiting reads.
    func deliver(_ record: SlotRecord) {
        let handle = SlotHandle(index: indexOf(record), generation: record.generation)
        if record.handler != nil {
            while let handler = record.handler, !record.ring.isEmpty {
                let origin = record.nextOrigin
                _ = record.ring.withNextMessage { handler($0, origin) }
                guard isOpen(handle) else { return }
                record.ring.consumeNext()
                record.didConsume()
            }
        }
        while !record.waiters.isEmpty, let bytes = record.ring.withNextMessage({ Array($0) }) {
            let origin = record.nextOrigin
            record.ring.consumeNext()
            record.didConsume()
            let waiter = record.waiters.removeFirst()
            waiter.completion(.success((bytes, origin)))
            guard isOpen(handle) else { return }
        }
        resumeIfPaused(record)
    }

    func indexOf(_ record: SlotRecord) -> Int {
        Int(bitPattern: CLibEv_io_data(record.watcher))
    }
}
