import Histogram

/// What an agent counts for one sender in one step: distinct messages, duplicates, late
/// arrivals and gaps by sequence number, and a histogram of one-way latency.
///
/// Duplicates are told apart within a window of the last ``window`` sequence numbers below the
/// highest seen; a message older than that counts as out of order (and as new).
public struct SequenceTally {
    /// How far behind the highest sequence number duplicates are still recognised.
    public static let window = 1 << 16

    /// Messages received, duplicates included.
    public private(set) var received: UInt64 = 0
    /// Distinct sequence numbers.
    public private(set) var unique: UInt64 = 0
    /// Messages received again.
    public private(set) var duplicates: UInt64 = 0
    /// Messages that arrived after one with a higher sequence number.
    public private(set) var outOfOrder: UInt64 = 0
    /// The highest sequence number seen (`nil` before the first).
    public private(set) var highest: UInt64?
    /// One-way latency, in microseconds.
    public private(set) var latency = Histogram<UInt64>(
        lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
    private var seen = [UInt64](repeating: 0, count: SequenceTally.window / 64)

    /// An empty tally.
    public init() {}

    /// Sequence numbers missing below the highest: sent (as far as this agent can tell) and
    /// never received.
    public var gapLost: UInt64 {
        guard let highest else { return 0 }
        return highest + 1 > unique ? highest + 1 - unique : 0
    }

    /// Counts one message; `latencyMicroseconds` is `nil` when the clocks cannot tell.
    public mutating func record(sequence: UInt64, latencyMicroseconds: UInt64?) {
        received += 1
        if let latencyMicroseconds { latency.record(min(latencyMicroseconds, 60_000_000)) }
        guard let top = highest else {
            highest = sequence
            mark(sequence)
            unique += 1
            return
        }
        if sequence > top {
            // Forget the bits that fall out of the window as it moves up.
            let step = sequence - top
            if step >= UInt64(Self.window) {
                for index in seen.indices { seen[index] = 0 }
            } else {
                var position = top + 1
                while position <= sequence {
                    clear(position)
                    position += 1
                }
            }
            highest = sequence
            mark(sequence)
            unique += 1
            return
        }
        outOfOrder += 1
        if top - sequence >= UInt64(Self.window) {
            unique += 1  // too old to tell: counted as new
            return
        }
        if isMarked(sequence) {
            outOfOrder -= 1
            duplicates += 1
        } else {
            mark(sequence)
            unique += 1
        }
    }

    private mutating func mark(_ sequence: UInt64) {
        let bit = Int(sequence % UInt64(Self.window))
        seen[bit >> 6] |= 1 << UInt64(bit & 63)
    }

    private mutating func clear(_ sequence: UInt64) {
        let bit = Int(sequence % UInt64(Self.window))
        seen[bit >> 6] &= ~(1 << UInt64(bit & 63))
    }

    private func isMarked(_ sequence: UInt64) -> Bool {
        let bit = Int(sequence % UInt64(Self.window))
        return seen[bit >> 6] & (1 << UInt64(bit & 63)) != 0
    }
}
