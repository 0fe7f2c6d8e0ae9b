/// A first-in, first-out queue on one array: O(1) amortised at both ends, and memory that
/// follows the queue's length (consumed space is reclaimed once it is half the array).
///
/// Used for waiting reads and remote origins, where `Array.removeFirst` would be O(n) a call.
struct FIFOQueue<Element> {
    private var elements: [Element] = []
    private var start = 0

    /// Elements queued.
    var count: Int { elements.count - start }
    /// `true` when nothing is queued.
    var isEmpty: Bool { start == elements.count }
    /// The oldest element.
    var first: Element? { isEmpty ? nil : elements[start] }

    /// Appends at the back.
    mutating func append(_ element: Element) {
        elements.append(element)
    }

    /// Removes and returns the oldest element.
    @discardableResult
    mutating func popFirst() -> Element? {
        guard !isEmpty else { return nil }
        let element = elements[start]
        start += 1
        if start == elements.count {
            elements.removeAll(keepingCapacity: elements.count <= 64)
            start = 0
        } else if start >= 64, start * 2 >= elements.count {
            elements.removeFirst(start)
            start = 0
        }
        return element
    }

    /// Removes everything, giving the memory back.
    mutating func removeAll() -> [Element] {
        let remaining = Array(elements[start...])
        elements = []
        start = 0
        return remaining
    }
}
