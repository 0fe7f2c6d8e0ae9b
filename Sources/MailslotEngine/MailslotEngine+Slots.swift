import CLibEv

// Finding a mailslot's record by its handle, and closing it.
extension MailslotEngine {
    func record(_ handle: SlotHandle) throws(MailslotError) -> SlotRecord {
        guard handle.index < slots.count, let record = slots[handle.index], record.generation == handle.generation else {
            throw .invalidHandle
        }
        return record
    }

    func isOpen(_ handle: SlotHandle) -> Bool { (try? record(handle)) != nil }

    /// Closes a slot: stops its watcher, closes its descriptor (freeing the name once no other
    /// process holds it), drops unread messages and fails waiting reads.
    func closeSlot(index: Int) {
        guard let record = slots[index] else { return }
        record.isOpen = false
        ev_io_stop(loop, record.watcher)
        record.statistics.drops.closedUnread &+= UInt64(record.ring.messageCount)
        // The ring's memory stays mapped until the record goes (a callback may hold a message
        // in it while it closes its own mailslot).
        closeSharedMemory(record)
        if !record.handleMayBeHeldElsewhere {
            discardKernelQueue(record)
            // While the socket is still bound, so no new server of the name can have published.
            if let inode = record.publishedEntry, let error = registry.withdraw(record.endpoint, inode: inode) {
                log.warning(
                    .registryFailed, "removing the registry entry of \(record.name.fullName) failed: \(error); the next server of the name replaces it",
                    now: system_monotonicSeconds())
            }
        }
        system_close(record.fd)
        slots[index] = nil
        slotIndexByPath.remove(record.endpoint.pathHash, ifSlot: index)
        freeIndices.append(index)
        mailslotCount -= 1
        closedStatistics.add(record.currentStatistics)
        if !record.ring.isPinned { record.ring.releaseStorageIfEmpty() }
        record.liveWaiters = 0
        let aborted = MailslotError.operationAborted("\(record.name.fullName) was closed while the read was pending")
        for waiter in record.waiters.removeAll() { complete(waiter, .failure(aborted)) }
    }
}
