/// How many payload bytes a receive reserves per datagram in a mailslot's ring.
///
/// A datagram no larger than the estimate lands in place (zero copy); a larger one takes the
/// overflow path once and raises the estimate at once. The estimate also comes down: after a
/// window of batches whose largest message was under half of it, it drops to that largest size
/// plus a quarter, so one 64 KiB message does not leave every later claim 64 KiB wide.
struct SizeEstimate {
    /// The mailslot's largest message.
    let limit: Int
    /// Bytes reserved per datagram now (a multiple of 64, at most `limit`).
    private(set) var bytes: Int
    /// The largest message in the current window.
    private var windowLargest = 0
    /// Batches in the current window.
    private var windowBatches = 0

    /// Batches per window before the estimate may come down.
    static let window = 64
    /// The smallest estimate.
    static let floor = 64

    init(limit: Int) {
        self.limit = limit
        self.bytes = Self.rounded(512, limit: limit)
    }

    /// Records a batch whose largest message had `largest` bytes.
    mutating func noteBatch(largest: Int) {
        windowLargest = max(windowLargest, largest)
        if largest > bytes { bytes = Self.rounded(largest, limit: limit) }
        windowBatches += 1
        guard windowBatches >= Self.window else { return }
        if windowLargest * 2 < bytes {
            bytes = Self.rounded(max(Self.floor, windowLargest + windowLargest / 4), limit: limit)
        }
        windowLargest = 0
        windowBatches = 0
    }

    private static func rounded(_ value: Int, limit: Int) -> Int {
        min(limit, (value + 63) & ~63)
    }
}
