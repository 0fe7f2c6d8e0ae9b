/// A cap on the ring memory of many ``DatagramRing``s together (an engine's mailslots).
///
/// A ring charges its budget before it grows and refunds it when it shrinks or frees its
/// storage, so the sum of every ring's allocation never passes ``limit``. A ring whose growth is
/// refused behaves as if it were at its quota: its claims and appends fail, and its owner counts
/// the message as a drop (or pushes back on its writers).
///
/// Not thread-safe: every ring sharing a budget lives on one thread (one engine).
public final class RingMemoryBudget {
    /// The most bytes all rings together may hold.
    public let limit: Int
    /// Bytes currently charged.
    public private(set) var used = 0
    /// Growths refused because the budget was spent.
    public private(set) var refusals: UInt64 = 0

    /// Makes a budget of `limit` bytes.
    public init(limit: Int) {
        self.limit = max(0, limit)
    }

    /// Charges `bytes` if they fit.
    /// - Returns: `false` (charging nothing) when they would pass the limit.
    func charge(_ bytes: Int) -> Bool {
        guard bytes <= limit &- used else {
            refusals &+= 1
            return false
        }
        used &+= bytes
        return true
    }

    /// Gives back `bytes` charged before.
    func refund(_ bytes: Int) {
        used = max(0, used &- bytes)
    }
}
