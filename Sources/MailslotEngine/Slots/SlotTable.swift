import MailslotCore
import MailslotRing

/// The engine's open mailslots: their records by slot number, the generation that makes each
/// handle unique, the index by path for datagrams from other computers, the ring memory cap they
/// share, and the counters of mailslots already closed.
///
/// A handle is `(index, generation)`: closing a slot bumps nothing, reusing it bumps its
/// generation, so a handle kept past its close is refused (`ERROR_INVALID_HANDLE`) rather than
/// reaching the slot's next tenant.
final class SlotTable {
    /// Unchecked exclusivity: read for every message; only ``insert(_:)`` and ``remove(at:)``
    /// change it, never while a lookup is in progress (the engine is single-threaded).
    @exclusivity(unchecked) private var records: [SlotRecord?] = []
    private var generations: [UInt32] = []
    private var freeIndices: [Int] = []
    @exclusivity(unchecked) private var indexByPath = PathIndex()
    /// The counters of every mailslot this table has closed.
    private var closedStatistics = MailslotStatistics()
    /// Servers kept alive on behalf of ``MailslotEngineThread`` callers, who hold handles only.
    private var retainedServers: [SlotHandle: MailslotServer] = [:]
    /// The cap on all of this engine's ring memory, shared by every record.
    let ringBudget: RingMemoryBudget
    /// Open mailslots.
    private(set) var openCount = 0

    init(ringMemoryLimit: Int) {
        ringBudget = RingMemoryBudget(limit: ringMemoryLimit)
    }

    /// Slot numbers ever used (open or free): `0..<capacity`.
    var capacity: Int { records.count }

    /// The open record at `index`, if any.
    @inline(__always) subscript(index: Int) -> SlotRecord? {
        index < records.count ? records[index] : nil
    }

    /// The record a handle names. - Throws: ``/MailslotCore/MailslotError/invalidHandle`` for a
    /// closed or stale handle.
    func record(_ handle: SlotHandle) throws(MailslotError) -> SlotRecord {
        guard let record = self[handle.index], record.generation == handle.generation else { throw .invalidHandle }
        return record
    }

    /// The open mailslot whose folded path hashes to `hash`, with its slot number.
    @inline(__always) func slot(forPath hash: PathHash) -> (index: Int, record: SlotRecord)? {
        guard let index = indexByPath[hash], let record = records[index] else { return nil }
        return (index, record)
    }

    /// Every open record with its slot number, in slot order.
    func forEachOpen(_ body: (Int, SlotRecord) throws -> Void) rethrows {
        for index in records.indices {
            if let record = records[index] { try body(index, record) }
        }
    }

    /// Counters over every mailslot this table has had, open or closed.
    var statistics: MailslotStatistics {
        var total = closedStatistics
        forEachOpen { _, record in total.add(record.currentStatistics) }
        return total
    }

    /// Picks a free slot for a new mailslot: its number and the generation its handles carry.
    func reserve() -> (index: Int, generation: UInt32) {
        if let reused = freeIndices.popLast() {
            generations[reused] &+= 1
            return (reused, generations[reused])
        }
        records.append(nil)
        generations.append(0)
        return (records.count - 1, 0)
    }

    /// Fills a slot taken with ``reserve()``; the record's generation is the one reserved.
    func insert(_ record: SlotRecord, at index: Int) {
        precondition(records[index] == nil && record.generation == generations[index], "a slot is filled once per reserve")
        records[index] = record
        indexByPath.set(record.endpoint.pathHash, to: index)
        openCount += 1
    }

    /// Empties a slot; its counters join the closed ones and its number is free for reuse.
    /// - Returns: the record that was there.
    @discardableResult
    func remove(at index: Int) -> SlotRecord? {
        guard let record = self[index] else { return nil }
        records[index] = nil
        indexByPath.remove(record.endpoint.pathHash, ifSlot: index)
        freeIndices.append(index)
        openCount -= 1
        closedStatistics.add(record.currentStatistics)
        return record
    }

    // MARK: Servers retained for the engine thread

    /// Keeps `server` alive until ``releaseRetained(_:)`` (the engine thread's callers hold its
    /// handle only).
    func retain(_ server: MailslotServer) {
        retainedServers[server.handle] = server
    }

    /// The retained server of `handle`. - Throws: ``/MailslotCore/MailslotError/invalidHandle``.
    func retained(_ handle: SlotHandle) throws(MailslotError) -> MailslotServer {
        guard let server = retainedServers[handle] else { throw .invalidHandle }
        return server
    }

    /// Whether `handle` belongs to a retained server.
    func isRetained(_ handle: SlotHandle) -> Bool { retainedServers[handle] != nil }

    /// Stops retaining `handle`'s server. - Returns: the server, for its owner to close.
    func releaseRetained(_ handle: SlotHandle) -> MailslotServer? {
        retainedServers.removeValue(forKey: handle)
    }

    /// Handles of every retained server.
    var retainedHandles: [SlotHandle] { Array(retainedServers.keys) }
}
