import CLibEv
import MailslotCore
import MailslotRing


/// What one `recvmmsg` left behind.
enum IngestOutcome {
    /// The batch was full: more datagrams may be waiting.
    case more
    /// A short batch or EAGAIN: the kernel queue is empty (as far as one call can tell).
    case kernelEmpty
    /// The ring cannot take a batch: reading stopped (push-back) until a reader makes room.
    case ringFull
    /// The receive call failed; counted in ``/MailslotCore/MailslotStatistics/receiveErrors``.
    case failed
}

/// The local transport's receiving side and its registry: moves datagrams from a mailslot's
/// socket into its ring (kernel → ring, zero-copy, batched and budgeted), refuses what a
/// writer may not send, pauses and resumes a socket's watcher under push-back, and counts what
/// a closing mailslot's socket still held. One per engine; it keeps no per-mailslot state (that
/// is the ``SlotRecord``'s).
final class LocalTransport {
    /// Where servers publish what the kernel cannot carry (max size, writers, creator).
    let registry: LocalRegistry
    /// The `recvmmsg` scaffolding every mailslot's receive shares.
    private let batch: ReceiveBatch
    /// What a receive does when a ring is full.
    private let whenRingFull: RingFullPolicy
    private let log: RateLimitedLog
    /// The last failed receive call, for reports.
    private(set) var lastReceiveError: SyscallError?

    init(configuration: EngineConfiguration, log: RateLimitedLog) {
        registry = LocalRegistry.standard()
        batch = ReceiveBatch(capacity: max(1, configuration.batchSize), largestMessage: MessageSizeLimit.local)
        whenRingFull = configuration.whenRingFull
        self.log = log
    }

    /// The fewest slots a receive claims before the ring grows: a batch of 8 keeps recvmmsg
    /// worth its call while a busy mailslot's ring stays at a few KiB.
    static let minimumClaimSlots = 8

    /// Moves what the kernel holds for `record` into its ring: until the kernel queue is empty,
    /// the ring is full, or `maxBatches` calls (fairness: a writer faster than the reader cannot
    /// keep a read in here).
    func ingestKernelQueue(_ record: SlotRecord, maxBatches: Int = 64) {
        for _ in 0..<maxBatches where ingest(record) != .more { return }
    }

    /// How many datagrams one receive may take for `record`. Under push-back it is what fits
    /// under the quota at the current size estimate (in the storage the ring has, while a
    /// message is pinned). Datagrams that turn out larger than the estimate go into the ring's
    /// overdraft (one batch of largest messages beyond the quota), so nothing read from the
    /// kernel is ever dropped for lack of room.
    func receiveSlots(_ record: SlotRecord) -> Int {
        guard whenRingFull == .pushBack else { return batch.capacity }
        let room = record.ring.isPinned ? record.ring.allocatedBytes - record.ring.usedBytes : record.ring.freeBytesUnderQuota
        return min(batch.capacity, max(0, room) / RingDescriptor.footprint(payload: record.sizeEstimate.bytes))
    }

    /// One `recvmmsg` into claimed ring space.
    /// - Returns: whether more may be waiting in the kernel (a full batch), the kernel queue was
    ///   drained (a short batch), the ring cannot take a batch, or the call failed.
    func ingest(_ record: SlotRecord) -> IngestOutcome {
        guard !record.paused else { return .ringFull }
        let limit = record.limit
        let estimate = record.sizeEstimate.bytes
        let wanted = receiveSlots(record)
        guard wanted > 0,
            let claim = record.ring.claim(
                slotPayload: estimate, maxSlots: wanted, minSlots: min(wanted, Self.minimumClaimSlots))
        else {
            switch whenRingFull {
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
                return .kernelEmpty
            case .processed(let received):
                count = Int(received)
            }
        } catch {
            record.ring.abort(claim)
            noteReceiveError(error, on: record)
            return .failed
        }
        var firstOverflow: Int?
        var largest = 0
        let checksWriters = !record.writers.allowsAnyone
        for index in 0..<count {
            let length = batch.length(index)
            switch batch.ancillary(index) {
            case .none:
                break
            case .ringRequest(let descriptor):
                SharedMemoryReceiver.answerRingRequest(record, descriptor: descriptor, sender: batch.senderCredentials(index))
                batch.markNotAMessage(index)
                continue
            case .refused:
                countRefusedControlData(record, index: index)
                batch.markNotAMessage(index)
                continue
            }
            if checksWriters, !batch.senderAllowed(index, record.writers, creator: record.creatorUID) {
                record.statistics.drops.accessDenied &+= 1
                batch.markNotAMessage(index)
            } else if length > limit {
                record.statistics.drops.oversize &+= 1
            } else {
                largest = max(largest, length)
                if length > estimate, firstOverflow == nil { firstOverflow = index }
            }
        }
        if let firstOverflow {
            commitWithOverflow(record, claim: claim, count: count, firstOverflow: firstOverflow)
        } else {
            var received: UInt64 = 0
            record.ring.commit(claim, count: count) { [batch] index in
                let length = batch.length(index)
                guard length <= limit else { return nil }
                received &+= 1
                return length
            }
            record.noteQueued(received)
        }
        record.sizeEstimate.noteBatch(largest: largest)
        return count < claim.count ? .kernelEmpty : .more
    }

    /// The ring cannot take a batch under ``RingFullPolicy/drop``: one `recvmmsg` into the
    /// overflow areas, every datagram counted as a drop by cause.
    private func discardBatch(_ record: SlotRecord) -> IngestOutcome {
        let limit = record.limit
        batch.prepareToDiscard(overflowBytes: limit)
        let count: Int
        do {
            switch try batch.receive(fd: record.fd, count: batch.capacity) {
            case .wouldBlock: return .kernelEmpty
            case .processed(let received): count = Int(received)
            }
        } catch {
            noteReceiveError(error, on: record)
            return .failed
        }
        for index in 0..<count {
            switch batch.ancillary(index) {
            case .none: break
            case .ringRequest(let descriptor):
                SharedMemoryReceiver.answerRingRequest(nil, descriptor: descriptor, sender: nil)
                continue
            case .refused:
                countRefusedControlData(record, index: index)
                continue
            }
            if !record.writers.allowsAnyone, !batch.senderAllowed(index, record.writers, creator: record.creatorUID) {
                record.statistics.drops.accessDenied &+= 1
            } else if batch.length(index) > limit {
                record.statistics.drops.oversize &+= 1
            } else {
                record.countRingFull()
            }
        }
        return count < batch.capacity ? .kernelEmpty : .more
    }

    /// Reads and counts what the kernel still holds for a mailslot that is closing for good (no
    /// other process holds its handle), so those messages are counted as unread at close
    /// instead of vanishing with the socket. Bounded: a writer cannot keep a close in here.
    func discardKernelQueue(_ record: SlotRecord) {
        for _ in 0..<1024 {
            // MSG_TRUNC still counts each datagram; one byte tells a ring request's marker.
            batch.prepareToDiscard(overflowBytes: 1)
            guard case .processed(let count)? = try? batch.receive(fd: record.fd, count: batch.capacity) else { return }
            var messages: UInt64 = 0
            for index in 0..<Int(count) {
                switch batch.ancillary(index) {
                case .none: messages &+= 1
                case .ringRequest(let descriptor): SharedMemoryReceiver.answerRingRequest(nil, descriptor: descriptor, sender: nil)
                case .refused: countRefusedControlData(record, index: index)
                }
            }
            record.statistics.received &+= messages
            record.statistics.drops.closedUnread &+= messages
            if Int(count) < batch.capacity { return }
        }
    }

    /// Counts a datagram refused for its control data (descriptors that are not a ring
    /// request): as access-denied when its sender may not write at all, else as
    /// carried-descriptors. Its descriptors are closed already.
    private func countRefusedControlData(_ record: SlotRecord, index: Int) {
        if !record.writers.allowsAnyone, !batch.senderAllowed(index, record.writers, creator: record.creatorUID) {
            record.statistics.drops.accessDenied &+= 1
        } else {
            record.statistics.drops.carriedDescriptors &+= 1
        }
    }

    /// Counts a failed receive; the datagrams stay in the kernel for a later call.
    private func noteReceiveError(_ error: SyscallError, on record: SlotRecord) {
        record.statistics.receiveErrors &+= 1
        lastReceiveError = error
        log.warning(.receiveFailed, "receiving for \(record.name.fullName) failed: \(error)", now: system_monotonicSeconds())
    }

    /// The rare path: a datagram longer than the size estimate arrived split between ring space
    /// and its overflow area. Messages from it on are staged whole in their overflow areas,
    /// those before it are committed in place, then the staged ones are appended in order
    /// (keeping FIFO) and the estimate grows so the next batch receives them in place.
    private func commitWithOverflow(_ record: SlotRecord, claim: RingClaim, count: Int, firstOverflow: Int) {
        let limit = record.limit
        let estimate = record.sizeEstimate.bytes
        for index in firstOverflow..<count {
            let length = batch.length(index)
            guard length <= limit else { continue }
            let staging = batch.overflowArea(index)
            let ringPart = min(length, estimate)
            if length > estimate {
                (staging + estimate).copyMemory(from: staging, byteCount: length - estimate)
            }
            staging.copyMemory(from: claim.payloadAddress(index), byteCount: ringPart)
        }
        let batch = self.batch
        var received: UInt64 = 0
        record.ring.commit(claim, count: firstOverflow) { index in
            let length = batch.length(index)
            guard length <= limit else { return nil }
            received &+= 1
            return length
        }
        for index in firstOverflow..<count {
            let length = batch.length(index)
            guard length <= limit else { continue }
            let staged = UnsafeRawBufferPointer(start: batch.overflowArea(index), count: length)
            if record.ring.append(staged, beyondQuota: whenRingFull == .pushBack) {
                received &+= 1
            } else {
                record.countRingFull()
            }
        }
        record.noteQueued(received)
    }

    /// Stops reading a mailslot whose ring cannot take a batch: the kernel queue then fills and
    /// writers get ``/MailslotCore/MailslotError/queueFull``.
    func pause(_ record: SlotRecord) {
        guard !record.paused else { return }
        record.paused = true
        record.watcher.stop()
    }

    /// Resumes reading once the ring can take a worthwhile batch again (a claim's minimum, or
    /// the ring is empty): the hysteresis keeps a slow reader from restarting the watcher for
    /// every message it consumes.
    func resumeIfPaused(_ record: SlotRecord) {
        guard record.paused, !record.ring.isPinned else { return }
        guard record.ring.isEmpty || receiveSlots(record) >= min(batch.capacity, Self.minimumClaimSlots) else { return }
        record.paused = false
        record.watcher.start()
    }
}
