import CLibEv
import Glibc
import MailslotCore
import MailslotRing

// The reader's side of shared-memory mailslots on the loop: wake-ups, spinning, skipping dead
// writers' records, and answering writers that ask for the ring.
extension MailslotEngine {
    /// Shared-memory messages one ``deliver(_:)`` hands out before it goes back to the loop.
    static let sharedMemoryMessagesPerDelivery = 4096

    /// Before the loop may sleep on a mailslot's shared-memory ring: raises the flag writers
    /// wake it by. - Returns: `false` when a message came meanwhile (read it; do not sleep),
    /// `true` otherwise (also when the mailslot has no shared-memory ring).
    func prepareSharedMemoryToSleep(_ record: SlotRecord) -> Bool {
        guard let sharedMemory = record.sharedMemory else { return true }
        if sharedMemory.isSpinning { return true }  // the spin loop raises the flag itself
        return sharedMemory.prepareToSleep()
    }

    /// A writer signalled the eventfd: deliver, then (with a callback and a spin time) keep
    /// polling the ring for the spin time after the last message before sleeping again.
    func handleSharedMemoryWake(index: Int) {
        guard let record = table[index], let sharedMemory = record.sharedMemory else { return }
        system_eventfdReset(sharedMemory.region.wakeFD)
        guard sharedMemory.spin > 0, record.handler != nil else { return deliver(record) }
        // Spinning: the "reader asleep" flag stays down (writers need not wake a reader that
        // polls), and only this loop raises it, right before it stops polling.
        sharedMemory.isSpinning = true
        defer { sharedMemory.isSpinning = false }
        sharedMemory.reader.cancelSleep()
        deliver(record)
        var deadline = system_monotonicSeconds() + sharedMemory.spin
        var rounds = 0
        while record.isOpen, record.handler != nil, !record.borrowed {
            if sharedMemory.hasMessage {
                // Bounded, like a delivery: then back through the loop for the other watchers.
                rounds += 1
                guard rounds <= 16 else { return system_eventfdSignal(sharedMemory.region.wakeFD) }
                deliver(record)
                deadline = system_monotonicSeconds() + sharedMemory.spin
            } else if system_monotonicSeconds() >= deadline {
                if sharedMemory.prepareToSleep() { return }
                sharedMemory.reader.cancelSleep()
            }
        }
        // The callback went away or closed the mailslot: nobody needs waking for it now.
    }

    /// The stall timer: skips the head record once its writer has left it uncommitted for the
    /// unblock timeout, counts it, and delivers what follows.
    func checkSharedMemoryStall(index: Int) {
        guard let record = table[index], let sharedMemory = record.sharedMemory else { return }
        let now = system_monotonicSeconds()
        if sharedMemory.reader.unblockIfStalled(now: now, timeout: sharedMemory.unblockTimeout) {
            record.statistics.drops.writerDied &+= 1
            log.warning(
                .writerDied, "\(record.name.fullName): a shared-memory writer left a record uncommitted for "
                    + "\(sharedMemory.unblockTimeout) s (it died or stalled); the record was skipped", now: now)
        }
        guard case .pending = sharedMemory.reader.next() else {
            sharedMemory.stallTimer?.stop()
            deliver(record)
            return
        }
    }

    /// Closes a slot's shared-memory ring: writers go back to the socket (or learn the
    /// mailslot is gone). What it still held is counted: committed messages as closed unread,
    /// records still being written (a dead writer's, or a live one's that now fails) as
    /// writer-died, whatever lies behind them included.
    func closeSharedMemory(_ record: SlotRecord) {
        guard let sharedMemory = record.sharedMemory else { return }
        let leftovers = sharedMemory.stop(loop: loop)
        record.statistics.received &+= UInt64(leftovers.unread)
        record.statistics.drops.closedUnread &+= UInt64(leftovers.unread)
        record.statistics.drops.writerDied &+= UInt64(leftovers.unfinished)
    }
}
