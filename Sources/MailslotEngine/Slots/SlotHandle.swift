/// A reference to one mailslot inside an engine: a slot index plus the generation the slot had
/// when the handle was made. A handle whose generation no longer matches is stale.
public struct SlotHandle: Hashable, Sendable {
    let index: Int
    let generation: UInt32
}
