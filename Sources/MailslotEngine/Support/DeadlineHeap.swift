/// A binary min-heap of deadlines: O(log n) to add and to take the earliest, so one engine timer
/// can serve any number of waiting reads.
///
/// Entries are not removed when their read completes early: the read is marked finished and the
/// entry is skipped when it reaches the top (a lazy delete), so the heap holds at most the timed
/// reads queued within one read timeout.
struct DeadlineHeap<Item> {
    private var entries: [(deadline: Double, item: Item)] = []

    /// Entries held (including finished ones not yet skipped).
    var count: Int { entries.count }
    /// The earliest deadline, if any.
    var earliest: Double? { entries.first?.deadline }

    /// The earliest entry.
    var first: (deadline: Double, item: Item)? { entries.first }

    /// Adds `item` due at `deadline`.
    mutating func insert(_ item: Item, at deadline: Double) {
        entries.append((deadline, item))
        var child = entries.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard entries[child].deadline < entries[parent].deadline else { break }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the earliest entry if it is due at or before `now`.
    mutating func popDue(now: Double) -> Item? {
        guard let first = entries.first, first.deadline <= now else { return nil }
        removeFirst()
        return first.item
    }

    /// Removes the earliest entry.
    mutating func removeFirst() {
        guard !entries.isEmpty else { return }
        let last = entries.removeLast()
        guard !entries.isEmpty else { return }
        entries[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < entries.count, entries[left].deadline < entries[smallest].deadline { smallest = left }
            if right < entries.count, entries[right].deadline < entries[smallest].deadline { smallest = right }
            guard smallest != parent else { break }
            entries.swapAt(parent, smallest)
            parent = smallest
        }
    }

    /// Empties the heap and gives the memory back.
    mutating func removeAll() {
        entries = []
    }
}
