import Synchronization

/// The layout of a shared-memory mailslot ring: one memory region, mapped by the reader (the
/// mailslot's server) and by every writer that was given it.
///
/// ```text
/// region = 4096-byte control block, then `capacity` bytes of records (a power of two)
///
///  offset    0 ┌─────────────┬──────────────┬──────────────┬──────────┐
///              │ magic u64   │ capacity u64 │ maxMessage   │ version  │  written once by
///              │ "MSLOTSHM"  │              │ u32          │ u32      │  the reader
///           64 ├─────────────┴──────────────┴──────────────┴──────────┤
///              │ tail u64: the next claim position (writers' CAS)     │  own cache line
///          128 ├──────────────────────────────────────────────────────┤
///              │ head u64: the next record to read (the reader's)     │  own cache line
///          192 ├─────────────┬──────────────┬──────────────┬──────────┤
///              │ readerAsleep│ writersWait  │ roomSequence │ state    │  u32 each
///          256 ├─────────────┴──────────────┴──────────────┴──────────┤
///              │ headCache u64: a recent head, written by writers     │  own cache line
///         4096 ├──────────────────────────────────────────────────────┤
///              │ records, each at an 8-byte-aligned position …        │
///              └──────────────────────────────────────────────────────┘
///
/// record
///   0            4            8
///   ┌────────────┬────────────┬──────────────────────────────┐
///   │ length u32 │ state u32  │ payload, padded to 8 bytes   │
///   └────────────┴────────────┴──────────────────────────────┘
///   the header is one 64-bit word, changed only by compare-and-swap:
///   state 0 unwritten · 1 claimed · 2 committed · 3 skip (padding to the end of the
///   records, or a record the reader gave up on)
/// ```
///
/// `head` and `tail` are monotonic positions masked on use. Free space is all zeros: the reader
/// zeroes what it consumes before it moves `head`, so a claimed record's header reads 0 until
/// its writer writes it.
public enum SharedRingLayout {
    /// "MSLOTSHM" as a little-endian word.
    public static let magic: UInt64 = 0x4D48_5354_4F4C_534D
    /// The layout version this code reads and writes.
    public static let version: UInt32 = 1
    /// Bytes before the first record.
    public static let controlBytes = 4096
    /// Records start at multiples of this.
    public static let alignment = 8
    /// Bytes of a record header.
    public static let headerBytes = 8

    static let capacityOffset = 8
    static let maxMessageOffset = 16
    static let versionOffset = 20
    static let tailOffset = 64
    static let headOffset = 128
    static let readerAsleepOffset = 192
    static let writersWaitingOffset = 196
    /// The word waiting writers sleep on (a futex): the reader bumps it when it makes room.
    public static let roomSequenceOffset = 200
    static let stateOffset = 204
    /// Writers read `head` through this copy and refresh it only when it says "full": the
    /// reader's own line then stays out of every claim (Agrona's head cache).
    static let headCacheOffset = 256

    /// A record's footprint: header and payload, padded to the alignment.
    @inline(__always) public static func footprint(payload: Int) -> Int {
        (headerBytes + payload + alignment - 1) & ~(alignment - 1)
    }

    /// The records' capacity for a ring asked to hold `requested` bytes of messages of up to
    /// `maxMessage` bytes: a power of two, at least 64 KiB and 8 largest records (so a claim
    /// that must pad to the end still fits an empty ring).
    public static func capacity(requested: Int, maxMessage: Int) -> Int {
        let floor = max(65_536, 8 * footprint(payload: maxMessage), requested)
        var capacity = 65_536
        while capacity < floor { capacity <<= 1 }
        return capacity
    }

    /// The region size for a records' capacity.
    public static func regionBytes(capacity: Int) -> Int { controlBytes + capacity }
}

/// The states a record header can be in (the high half of its 64-bit word).
enum RecordState: UInt32 {
    case unwritten = 0
    case claimed = 1
    case committed = 2
    case skip = 3
}

/// A record header word: length in the low half, state in the high half.
struct RecordHeader: Equatable {
    let word: UInt64

    init(word: UInt64) { self.word = word }

    init(_ state: RecordState, length: Int) {
        word = UInt64(UInt32(truncatingIfNeeded: length)) | UInt64(state.rawValue) << 32
    }

    var length: Int { Int(UInt32(truncatingIfNeeded: word)) }
    /// `nil` for a state no writer writes (corruption).
    var state: RecordState? { RecordState(rawValue: UInt32(truncatingIfNeeded: word >> 32)) }
}

/// The control block and records of one mapped region, read through atomics (every word
/// another process may write at the same time is read and written atomically).
struct SharedRegion {
    let base: UnsafeMutableRawPointer
    let capacity: Int
    let maxMessage: Int

    var records: UnsafeMutableRawPointer { base + SharedRingLayout.controlBytes }
    var mask: UInt64 { UInt64(capacity - 1) }

    @inline(__always) func word64(_ offset: Int) -> UnsafeMutablePointer<Atomic<UInt64>> {
        (base + offset).assumingMemoryBound(to: Atomic<UInt64>.self)
    }

    @inline(__always) func word32(_ offset: Int) -> UnsafeMutablePointer<Atomic<UInt32>> {
        (base + offset).assumingMemoryBound(to: Atomic<UInt32>.self)
    }

    var tail: UnsafeMutablePointer<Atomic<UInt64>> { word64(SharedRingLayout.tailOffset) }
    var head: UnsafeMutablePointer<Atomic<UInt64>> { word64(SharedRingLayout.headOffset) }
    var headCache: UnsafeMutablePointer<Atomic<UInt64>> { word64(SharedRingLayout.headCacheOffset) }
    var readerAsleep: UnsafeMutablePointer<Atomic<UInt32>> { word32(SharedRingLayout.readerAsleepOffset) }
    var writersWaiting: UnsafeMutablePointer<Atomic<UInt32>> { word32(SharedRingLayout.writersWaitingOffset) }
    var roomSequence: UnsafeMutablePointer<Atomic<UInt32>> { word32(SharedRingLayout.roomSequenceOffset) }
    var state: UnsafeMutablePointer<Atomic<UInt32>> { word32(SharedRingLayout.stateOffset) }

    /// The header word of the record at `position` (masked; always inside the records).
    @inline(__always) func header(at position: UInt64) -> UnsafeMutablePointer<Atomic<UInt64>> {
        (records + Int(position & mask)).assumingMemoryBound(to: Atomic<UInt64>.self)
    }

    /// Bytes from `position` to the end of the records.
    @inline(__always) func bytesToEnd(_ position: UInt64) -> Int { capacity - Int(position & mask) }
}
