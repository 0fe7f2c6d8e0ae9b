/// Space claimed in a ``DatagramRing`` for up to ``count`` records of at most ``slotPayload``
/// bytes each, laid out contiguously ``stride`` bytes apart.
///
/// The claimer fills the payload of slot `i` at ``payloadAddress(_:)`` (the kernel does, with
/// `recvmmsg`), then calls ``DatagramRing/commit(_:count:length:)`` or
/// ``DatagramRing/abort(_:)``. A claim is valid until the next mutating call on its ring.
public struct RingClaim {
    /// The ring's tail before the claim (what abort returns to).
    @usableFromInline let start: UInt64
    /// The position of slot 0's header.
    @usableFromInline let position: UInt64
    /// Address of slot 0's header.
    @usableFromInline let base: UnsafeMutableRawPointer
    /// Distance between slot headers.
    public let stride: Int
    /// Payload bytes each slot can hold.
    public let slotPayload: Int
    /// Number of slots claimed (at least 1).
    public let count: Int

    /// The payload area of slot `index`.
    /// - Warning: Do not use the pointer after the claim is committed or aborted.
    @inlinable
    public func payloadAddress(_ index: Int) -> UnsafeMutableRawPointer {
        precondition(index >= 0 && index < count, "slot out of range")
        return base + (index &* stride &+ RingDescriptor.headerLength)
    }
}
