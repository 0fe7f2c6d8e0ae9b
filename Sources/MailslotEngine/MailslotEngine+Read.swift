import CLibEv
import MailslotCore
import MailslotRing

// Reading: delivery to callbacks and waiting reads, blocking reads that run the loop, and
// deadlines.
//
// Re-entrancy rules (each has a test):
// - a callback or `withNextMessage` body holds the next message pinned in the ring: the ring
//   keeps receiving into the space it has but does not grow, shrink or consume until it returns;
// - a blocking read of the same mailslot from inside one of those fails with
//   `MailslotError.busy` (its next message is the one being handled);
// - completions never nest: a completion that queues another read, or whose read is ready at
//   once, is run by the loop already running completions (a trampoline), so a million reads in a
//   row use a constant stack.
extension MailslotEngine {
    /// Hands queued messages to the slot's callback, else to its waiting reads, until the ring
    /// is empty or nobody takes more. Does nothing when already running for this slot (the
    /// running loop serves what was added).
    func deliver(_ record: SlotRecord) {
        guard !record.delivering, !record.borrowed else { return }
        record.delivering = true
        defer { record.delivering = false }
        var ingestedForImmediate = false
        var sharedMemoryBudget = Self.sharedMemoryMessagesPerDelivery
        while record.isOpen {
            if let sharedMemory = record.sharedMemory, sharedMemoryBudget == 0 {
                // A writer faster than this reader would keep the loop here: come back through
                // the loop instead, so every other watcher is served in between.
                system_eventfdSignal(sharedMemory.region.wakeFD)
                break
            }
            if record.handler != nil {
                switch deliverToCallback(record, sharedMemoryBudget: &sharedMemoryBudget) {
                case .again: continue
                case .done: break
                case .closed: return
                }
                break
            } else if record.liveWaiters > 0, let bytes = record.pinNext(loop: loop) {
                if record.pinnedFromSharedMemory { sharedMemoryBudget -= 1 }
                let copy = Array(bytes)
                record.unpin()
                guard let waiter = record.popLiveWaiter() else { break }
                let origin = record.nextOrigin
                record.consumeNext(bytes: copy.count)
                record.liveWaiters -= 1
                complete(waiter, .success((copy, origin)))
            } else if record.liveWaiters > 0, record.sharedMemory != nil, !prepareSharedMemoryToSleep(record) {
                continue
            } else if record.liveWaiters > 0, record.readTimeout.isImmediate, record.handler == nil {
                // Timeout 0 (Win32: fail at once): one look at the kernel queue, then each
                // waiting read fails; reads that their completions queue are served by this loop.
                if !ingestedForImmediate {
                    ingestedForImmediate = true
                    local.ingestKernelQueue(record)
                    continue
                }
                guard let waiter = record.popLiveWaiter() else { break }
                record.liveWaiters -= 1
                complete(waiter, .failure(.timeout))
            } else {
                break
            }
        }
        if let sharedMemory = record.sharedMemory {
            sharedMemory.wakeWaitingWriters()
            noteSharedMemoryResets(record)
        }
        local.resumeIfPaused(record)
    }

    /// Warns when the mailslot's shared-memory ring was found corrupt and reset since the last
    /// look (a hostile or broken writer).
    private func noteSharedMemoryResets(_ record: SlotRecord) {
        guard let resets = record.sharedMemory?.reader.resets, resets > record.reportedResets else { return }
        let new = resets - record.reportedResets
        record.reportedResets = resets
        log.warning(
            .sharedMemoryReset, "\(record.name.fullName): its shared-memory ring was written outside the protocol and "
                + "reset \(new) time(s); what it held is lost (counted, estimated, as ring-reset-estimated), the socket path keeps working", now: system_monotonicSeconds())
    }

    /// How a run of ``deliverToCallback(_:sharedMemoryBudget:)`` ended.
    enum CallbackRun {
        /// Look again: the callback changed, the budget is spent, or a message came just as the
        /// reader was about to sleep.
        case again
        /// Nothing more to hand out now.
        case done
        /// A callback closed the mailslot.
        case closed
    }

    /// The callback branch of ``deliver(_:)``: hands messages to the callback, borrowed, until
    /// the queues are empty, the callback changes, or the shared-memory budget is spent. The
    /// callback is fetched once per run (no reference counting per message), and a bytes-only
    /// callback is called without looking up an origin.
    private func deliverToCallback(_ record: SlotRecord, sharedMemoryBudget budget: inout Int) -> CallbackRun {
        guard let handler = record.handler else { return .again }
        if let bytesHandler = record.bytesHandler {
            return runCallback(record, budget: &budget) { bytes in bytesHandler(bytes.bytes) }
        }
        return runCallback(record, budget: &budget) { bytes in handler(bytes.bytes, record.nextOrigin) }
    }

    /// The loop of ``deliverToCallback(_:sharedMemoryBudget:)`` for one callback (`call`, not
    /// escaping: nothing is allocated or retained per message).
    @inline(__always)
    private func runCallback(
        _ record: SlotRecord, budget: inout Int, _ call: (UnsafeRawBufferPointer) -> Void
    ) -> CallbackRun {
        let generation = record.handlerGeneration
        while record.handlerGeneration == generation {
            if record.sharedMemory != nil, budget == 0 { return .again }
            guard let bytes = record.pinNext(loop: loop) else {
                return prepareSharedMemoryToSleep(record) ? .done : .again
            }
            if record.pinnedFromSharedMemory { budget -= 1 }
            record.borrowed = true
            call(bytes)
            record.borrowed = false
            record.unpin()
            guard record.isOpen else { return .closed }
            record.consumeNext(bytes: bytes.count)
        }
        return .again
    }

    /// Finishes a waiting read. Completions run one after another, never one inside another: a
    /// completion called while another runs is queued and run by the outer call.
    func complete(_ read: PendingRead, _ result: Result<([UInt8], MessageOrigin?), MailslotError>) {
        reads.complete(read, result)
    }

    /// Waits for a message on `handle` per its read timeout, then calls `body` with it borrowed.
    /// While waiting it runs the loop, so every other mailslot keeps being served.
    /// - Throws: ``/MailslotCore/MailslotError/busy(_:)`` when the mailslot's next message is already being
    ///   handled (a read from inside its own callback or `withNextMessage` body).
    func withNextMessage<R>(
        _ handle: SlotHandle, consume: Bool, _ body: (RawSpan) -> R
    ) throws(MailslotError) -> R {
        var record = try self.record(handle)
        let deadline = record.readTimeout.seconds.map { system_monotonicSeconds() + $0 }
        while true {
            guard !record.borrowed else {
                throw .busy("\(record.name.fullName) is being read by a callback or withNextMessage body on this thread")
            }
            if record.ring.isEmpty { local.ingestKernelQueue(record) }
            if let bytes = record.pinNext(loop: loop) {
                record.borrowed = true
                let result = body(bytes.bytes)
                record.borrowed = false
                record.unpin()
                if consume, table[handle.index] === record { record.consumeNext(bytes: bytes.count) }
                record.sharedMemory?.wakeWaitingWriters()
                local.resumeIfPaused(record)
                return result
            }
            if !prepareSharedMemoryToSleep(record) { continue }
            var remaining: Double?
            if let deadline {
                remaining = deadline - system_monotonicSeconds()
                if remaining! <= 0 { throw .timeout }
            }
            runOnce(timeout: remaining)
            record = try self.record(handle)
        }
    }

    /// Queues a read of the next message; `completion` runs on the loop thread with a copy of
    /// it, or with ``/MailslotCore/MailslotError/timeout`` once the read timeout passes (at once for a
    /// timeout of 0 when nothing is queued). A read that is ready completes before this returns,
    /// unless a completion is running: then right after it.
    @discardableResult
    func enqueueRead(_ handle: SlotHandle, completion: @escaping PendingRead.Completion) -> PendingRead {
        let record: SlotRecord
        do { record = try self.record(handle) } catch {
            let read = PendingRead(deadline: nil, slot: handle, completion: completion)
            complete(read, .failure(error))
            return read
        }
        // A read with timeout 0 that cannot complete now fails in `deliver`, or (when a callback
        // holds the mailslot) at the next timer tick. While `deliver` runs for this mailslot
        // it serves or fails the read itself; otherwise a timed read waits on the heap.
        let deadline = record.readTimeout.seconds.map { system_monotonicSeconds() + $0 }
        let read = PendingRead(deadline: deadline, slot: handle, completion: completion)
        record.waiters.append(read)
        record.liveWaiters += 1
        if record.ring.isEmpty, !record.borrowed { local.ingestKernelQueue(record) }
        deliver(record)
        guard read.isPending else { return read }
        if record.delivering, record.readTimeout.isImmediate { return read }  // the running deliver fails it
        if let deadline { reads.schedule(read, at: deadline, now: system_monotonicSeconds()) }
        return read
    }

    /// Fails waiting reads whose deadline passed, and re-arms the timer for the next one.
    func expireWaiters() {
        let now = system_monotonicSeconds()
        while let read = reads.popExpired(now: now) {
            guard read.isPending else { continue }
            if let record = try? record(read.slot) { record.liveWaiters -= 1 }
            complete(read, .failure(.timeout))
        }
        reads.arm(now: system_monotonicSeconds())
    }
}
