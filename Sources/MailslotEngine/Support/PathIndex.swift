/// Open slots by the hash of their folded path: the datagram service's lookup for every
/// datagram from another computer.
///
/// An open-addressing table with linear probing, keyed by ``PathHash`` (already a 128-bit hash,
/// so its low word picks the bucket: no second hashing per lookup, as `Dictionary` would do
/// with SipHash). Deletion shifts later entries back (no tombstones), and the table doubles at
/// half full, so probes stay short whatever the history of creates and closes.
struct PathIndex {
    private struct Entry {
        var hash: PathHash
        /// The slot index, or -1 for an empty bucket.
        var slot: Int
    }

    private var buckets: [Entry]
    private var mask: Int
    /// Entries stored.
    private(set) var count = 0

    init() {
        buckets = Array(repeating: Entry(hash: PathHash(), slot: -1), count: 16)
        mask = 15
    }

    @inline(__always) private func home(_ hash: PathHash) -> Int { Int(truncatingIfNeeded: hash.low) & mask }

    /// The slot with this path hash, if one is open.
    @inline(__always) subscript(hash: PathHash) -> Int? {
        var bucket = home(hash)
        while true {
            let entry = buckets[bucket]
            if entry.slot < 0 { return nil }
            if entry.hash == hash { return entry.slot }
            bucket = (bucket + 1) & mask
        }
    }

    /// Points `hash` at `slot` (replacing what it pointed at).
    mutating func set(_ hash: PathHash, to slot: Int) {
        precondition(slot >= 0)
        if (count + 1) * 2 > buckets.count { grow() }
        var bucket = home(hash)
        while buckets[bucket].slot >= 0, buckets[bucket].hash != hash { bucket = (bucket + 1) & mask }
        if buckets[bucket].slot < 0 { count += 1 }
        buckets[bucket] = Entry(hash: hash, slot: slot)
    }

    /// Removes `hash` if it points at `slot` (a newer mailslot of the same name keeps its entry).
    mutating func remove(_ hash: PathHash, ifSlot slot: Int) {
        var bucket = home(hash)
        while buckets[bucket].slot >= 0 {
            if buckets[bucket].hash == hash {
                guard buckets[bucket].slot == slot else { return }
                removeEntry(at: bucket)
                return
            }
            bucket = (bucket + 1) & mask
        }
    }

    /// Empties a bucket and shifts back the entries after it that probed past it.
    private mutating func removeEntry(at removed: Int) {
        count -= 1
        var hole = removed
        var next = (hole + 1) & mask
        while buckets[next].slot >= 0 {
            let wanted = home(buckets[next].hash)
            // The entry at `next` may move into the hole unless its home lies cyclically in
            // (hole, next]: then it is already as close to home as the hole would make it.
            let staysPut = hole <= next ? (wanted > hole && wanted <= next) : (wanted > hole || wanted <= next)
            if !staysPut {
                buckets[hole] = buckets[next]
                hole = next
            }
            next = (next + 1) & mask
        }
        buckets[hole].slot = -1
    }

    private mutating func grow() {
        let old = buckets
        buckets = Array(repeating: Entry(hash: PathHash(), slot: -1), count: old.count * 2)
        mask = buckets.count - 1
        count = 0
        for entry in old where entry.slot >= 0 { set(entry.hash, to: entry.slot) }
    }
}
