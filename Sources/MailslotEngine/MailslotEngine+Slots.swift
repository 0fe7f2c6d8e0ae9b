import CLibEv

// Finding a mailslot's record by its handle, and closing it.
extension MailslotEngine {
    func record(_ handle: SlotHandle) throws(MailslotError) -> SlotRecord {
        try table.record(handle)
    }

    func isOpen(_ handle: SlotHandle) -> Bool { (try? record(handle)) != nil }

    /// Closes a slot: stops its watcher, closes its descriptor (freeing the name once no other
    /// process holds it), drops unread messages and fails waiting reads.
    func closeSlot(index: Int) {
        guard let record = table[index] else { return }
        record.isOpen = false
        record.watcher.stop()
        record.statistics.drops.closedUnread &+= UInt64(record.ring.messageCount)
        // The ring's memory stays mapped until the record goes (a callback may hold a message
        // in it while it closes its own mailslot).
        closeSharedMemory(record)
        if !record.handleMayBeHeldElsewhere {
            local.discardKernelQueue(record)
            // While the socket is still bound, so no new server of the name can have published.
            if let inode = record.publishedEntry, let error = local.registry.withdraw(record.endpoint, inode: inode) {
                log.warning(
                    .registryFailed, "removing the registry entry of \(record.name.fullName) failed: \(error); the next server of the name replaces it",
                    now: system_monotonicSeconds())
            }
        }
        system_close(record.fd)
        table.remove(at: index)
        if !record.ring.isPinned { record.ring.releaseStorageIfEmpty() }
        record.liveWaiters = 0
        let aborted = MailslotError.operationAborted("\(record.name.fullName) was closed while the read was pending")
        for waiter in record.waiters.removeAll() { complete(waiter, .failure(aborted)) }
    }

    /// What `GetMailslotInfo` reports, after moving what the kernel holds into the ring (as far
    /// as the ring takes it); from inside the mailslot's own callback, the ring as it is.
    func info(_ handle: SlotHandle) throws(MailslotError) -> MailslotInfo {
        let record = try record(handle)
        if !record.borrowed { local.ingestKernelQueue(record) }
        return record.info
    }

    /// Consumes the pinned message a read copied out (`bytes` long) and resumes receiving if
    /// push-back had paused it.
    func consumeNext(_ handle: SlotHandle, bytes: Int) throws(MailslotError) {
        let record = try record(handle)
        record.consumeNext(bytes: bytes)
        local.resumeIfPaused(record)
    }

    /// Sets (or clears) a mailslot's callback and delivers what is queued to it now.
    func setHandler(
        _ handle: SlotHandle, _ handler: ((RawSpan, MessageOrigin?) -> Void)?,
        bytesOnly: ((RawSpan) -> Void)?
    ) throws(MailslotError) {
        let record = try record(handle)
        record.setHandler(handler, bytesOnly: bytesOnly)
        if !record.borrowed, record.ring.isEmpty { local.ingestKernelQueue(record) }
        deliver(record)
    }
}
