import CLibEv
import MailslotCore
import MailslotRing

// Reading: blocking reads that run the loop, and waiting reads with deadlines.
extension MailslotEngine {
    /// Waits for a message on `handle` per its read timeout, then calls `body` with it borrowed.
    /// While waiting it runs the loop, so every other mailslot keeps being served.
    func withNextMessage<R>(
        _ handle: SlotHandle, consume: Bool, _ body: (UnsafeRawBufferPointer) -> R
    ) throws(MailslotError) -> R {
        var record = try self.record(handle)
        let deadline = record.readTimeout.seconds.map { system_monotonicSeconds() + $0 }
        while true {
            drainSocket(record)
            if let result = record.ring.withNextMessage(body) {
                if consume {
                    record.ring.consumeNext()
                    record.didConsume()
                    resumeIfPaused(record)
                }
                return result
            }
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
    /// it, or with ``MailslotError/timeout`` once the read timeout passes.
    func enqueueRead(_ handle: SlotHandle, completion: @escaping (Result<([UInt8], MessageOrigin?), MailslotError>) -> Void) {
        let record: SlotRecord
        do { record = try self.record(handle) } catch { return completion(.failure(error)) }
        drainSocket(record)
        if record.waiters.isEmpty, let bytes = record.ring.withNextMessage({ Array($0) }) {
            let origin = record.nextOrigin
            record.ring.consumeNext()
            record.didConsume()
            resumeIfPaused(record)
            return completion(.success((bytes, origin)))
        }
        if record.readTimeout == .immediate { return completion(.failure(.timeout)) }
        let deadline = record.readTimeout.seconds.map { system_monotonicSeconds() + $0 }
        record.waiters.append(PendingRead(deadline: deadline, completion: completion))
        if deadline != nil {
            slotsWithDeadlines.insert(handle.index)
            armDeadlineTimer()
        }
    }

    /// Fails waiting reads whose deadline passed, and re-arms the timer for the next one.
    func expireWaiters() {
        let now = system_monotonicSeconds()
        for index in slotsWithDeadlines {
            guard let record = slots[index] else { continue }
            var expired: [PendingRead] = []
            record.waiters.removeAll { waiter in
                guard let deadline = waiter.deadline, deadline <= now else { return false }
                expired.append(waiter)
                return true
            }
            if !record.waiters.contains(where: { $0.deadline != nil }) { slotsWithDeadlines.remove(index) }
            for waiter in expired { waiter.completion(.failure(.timeout)) }
        }
        armDeadlineTimer()
    }

    /// Arms the wake timer for the earliest waiting deadline (one timer for all waiters).
    func armDeadlineTimer() {
        ev_timer_stop(loop, wakeTimer)
        var earliest: Double?
        for index in slotsWithDeadlines {
            guard let record = slots[index] else { continue }
            for waiter in record.waiters {
                if let deadline = waiter.deadline { earliest = min(earliest ?? deadline, deadline) }
            }
        }
        guard let earliest else { return }
        CLibEv_timer_set(wakeTimer, max(0, earliest - system_monotonicSeconds()), 0)
        ev_timer_start(loop, wakeTimer)
    }
}
