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
        if record === spinningRecord { return true }  // the spin loop raises the flag itself
        return sharedMemory.prepareToSleep()
    }

    /// A writer signalled the eventfd: deliver, then (with a callback and a spin time) keep
    /// polling the ring for the spin time after the last message before sleeping again.
    func handleSharedMemoryWake(index: Int) {
        guard index < slots.count, let record = slots[index], let sharedMemory = record.sharedMemory else { return }
        system_eventfdReset(sharedMemory.region.wakeFD)
        guard sharedMemory.spin > 0, record.handler != nil else { return deliver(record) }
        // Spinning: the "reader asleep" flag stays down (writers need not wake a reader that
        // polls), and only this loop raises it, right before it stops polling.
        spinningRecord = record
        defer { spinningRecord = nil }
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
        guard index < slots.count, let record = slots[index], let sharedMemory = record.sharedMemory else { return }
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

    /// A datagram that carried a descriptor: a writer asking for the shared-memory ring, with
    /// one end of a socket pair to answer on. The answer is the ring's descriptors when
    /// the mailslot has a ring and the asker runs as this process's user (or root); otherwise
    /// the socket is closed unanswered, and the writer keeps to the socket. Never blocks.
    func answerSharedMemoryRequest(_ record: SlotRecord?, descriptor: Int32, sender: (uid: UInt32, gid: UInt32)?) {
        defer { system_close(descriptor) }
        // Who asks: the credentials the kernel put on the request (a mailslot with an access
        // list), else the maker of the socket pair it passed.
        guard let record, let sharedMemory = record.sharedMemory, let asker = sender ?? system_peerCredentials(descriptor)
        else { return }
        // A writer in the ring could scribble over it: only the creator, root, and users or
        // groups listed by name get it, never "anyone".
        let listed = !record.writers.allowsAnyone && record.writers.allows(uid: asker.uid, gid: asker.gid, creator: record.creatorUID)
        guard asker.uid == record.creatorUID || asker.uid == 0 || listed else { return }
        try? DescriptorTransfer.send(sharedMemory.region.descriptorsForWriters, over: descriptor, waiting: false)
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
