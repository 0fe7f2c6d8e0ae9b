/// The byte layout of a ``DatagramRing`` record.
///
/// ```
///  0                   4                   8
///  +-------------------+-------------------+
///  | length: UInt32    | span: UInt32      |   header, native byte order
///  +-------------------+-------------------+
///  | payload (length bytes) ...            |
///  +---------------------------------------+
///  | unused up to span (alignment, or the rest of a batch slot)
///  +---------------------------------------+   <- next record = this + span
/// ```
///
/// - `length` is the message size; ``paddingLength`` marks a record with no message (the
///   filler before the wrap, or a batch slot that was given up).
/// - `span` is the distance to the next record header: a multiple of ``alignment``, at least
///   ``footprint(payload:)`` of `length`.
public enum RingDescriptor {
    /// Bytes of record header.
    public static let headerLength = 8
    /// Every record starts at a multiple of this.
    public static let alignment = 8
    /// The `length` of a padding record.
    public static let paddingLength = UInt32.max
    /// The smallest ring capacity.
    public static let minimumCapacity = 64

    /// Rounds up to ``alignment``.
    @inlinable
    public static func aligned(_ value: Int) -> Int { (value &+ (alignment &- 1)) & ~(alignment &- 1) }

    /// Bytes one record of `payload` bytes occupies, header and alignment included.
    @inlinable
    public static func footprint(payload: Int) -> Int { aligned(headerLength &+ payload) }

    /// The largest capacity a ring can have: 2^62 bytes (a larger request is clamped to it).
    public static let maximumCapacity = 1 << 62

    /// The smallest power of two at or above `value`, at least ``minimumCapacity`` and at most
    /// ``maximumCapacity``.
    public static func capacity(atLeast value: Int) -> Int {
        guard value > minimumCapacity else { return minimumCapacity }
        guard value < maximumCapacity else { return maximumCapacity }
        return 1 << (Int.bitWidth - (value - 1).leadingZeroBitCount)
    }
}
