import CLibEv

// The loop's own timing: a periodic callback, the end of a thread's loop, and a graceful stop
// (deliver what was already received, within a bound, then stop the loop).
extension MailslotEngine {
    /// Calls `handler` on the loop thread every `seconds` while the loop runs (one periodic
    /// callback per engine; `nil` removes it). For work that must not wait for traffic:
    /// flushing output, checking a deadline of the program's own.
    public func onTick(every seconds: Double, _ handler: (() -> Void)?) {
        eventLoop.onTick(every: seconds, handler)
    }

    /// On a ``MailslotEngineThread``'s engine: calls `handler` on the loop thread once the loop
    /// has ended and the thread's mailslots have closed, before the engine goes (to read the
    /// final counters, close what the program made itself, print a summary). A plain engine
    /// never calls it.
    public func onThreadEnd(_ handler: @escaping () -> Void) {
        eventLoop.onThreadEnd(handler)
    }

    /// Stops the loop once everything already received has been delivered, or after `seconds`,
    /// whichever comes first. Call it on the loop thread while ``run()`` runs (or before).
    ///
    /// "Delivered" means taken by a callback, a read or a message stream: the engine keeps
    /// receiving meanwhile, and the drain ends at the first moment when no mailslot holds a
    /// message in its ring, its shared-memory ring or its socket's queue, no stream batch waits
    /// to be handed over, and the datagram service's socket is empty. A shared-memory record
    /// whose writer died mid-write keeps the drain waiting until the reader skips it (the
    /// unblock timeout), so the messages behind it are delivered too. Messages no one takes
    /// (a mailslot without a reader, a stream whose consumer stopped) keep it waiting until the
    /// bound; they are then counted as ``/MailslotCore/DropCounters/closedUnread`` when their mailslots close.
    /// Writers are not refused during the drain: they see server-gone once the mailslot closes.
    public func stopWhenDrained(within seconds: Double) {
        drainSchedule.drainEngine(within: seconds, now: system_monotonicSeconds())
    }

    /// `true` while a drain of the whole engine is under way.
    public var isDraining: Bool { drainSchedule.isDraining }

    /// Closes one mailslot once what it received has been delivered (as ``stopWhenDrained(within:)``,
    /// for this mailslot alone), or after `seconds`.
    func closeWhenDrained(_ handle: SlotHandle, within seconds: Double) {
        guard isOpen(handle) else { return }
        drainSchedule.close(handle, within: seconds, now: system_monotonicSeconds())
    }

    /// The drain schedule's look: closes each draining mailslot that is empty or out of time,
    /// and stops the loop when the engine's drain is done or out of time.
    func checkDrain() {
        let (closeNow, finished) = drainSchedule.look(
            now: system_monotonicSeconds(),
            isDrained: { handle in (try? record(handle)).map { undelivered($0, handle) == 0 } },
            engineLeft: { stoppingAtFirst in undeliveredInEngine(stoppingAtFirst: stoppingAtFirst) })
        for handle in closeNow {
            if table.isRetained(handle) { closeRetained(handle) } else { closeSlot(index: handle.index) }
        }
        guard let finished else { return }
        if finished.left == 0 {
            configuration.logger.debug("drained in \(finished.milliseconds) ms")
        } else {
            configuration.logger.warning(
                "the drain bound (\(finished.milliseconds) ms) passed with messages undelivered; they count as closed-unread",
                metadata: ["undelivered": "\(finished.left)"])
        }
        stop()
    }

    /// Undelivered messages over every mailslot and the datagram service's socket; with
    /// `stoppingAtFirst`, only whether there are any (0 or the first mailslot's count).
    private func undeliveredInEngine(stoppingAtFirst: Bool) -> Int {
        var left = datagramService.map { system_hasQueuedDatagram($0.fd) ? 1 : 0 } ?? 0
        for index in 0..<table.capacity {
            if stoppingAtFirst && left > 0 { return left }
            guard let record = table[index] else { continue }
            left += undelivered(record, SlotHandle(index: index, generation: record.generation))
        }
        return left
    }

    /// Messages `record` received but has not delivered, roughly: its ring's and shared-memory
    /// ring's counts, plus one if its socket has a datagram queued and one if its stream has a
    /// batch not yet handed over. Zero means drained.
    func undelivered(_ record: SlotRecord, _ handle: SlotHandle) -> Int {
        guard record.isOpen else { return 0 }
        var count = record.ring.messageCount + (record.sharedMemory?.messageCount ?? 0)
        // A dead writer's record at the head hides what follows it: wait for the stall timer to
        // skip it (the unblock timeout), then for the rest.
        if count == 0 && record.sharedMemory?.hasRecords == true { count += 1 }
        if streams.feeder(handle)?.hasPendingBatch == true { count += 1 }
        // The kernel is asked only when the engine's own queues are empty.
        if count == 0 && system_hasQueuedDatagram(record.fd) { count += 1 }
        return count
    }
}
