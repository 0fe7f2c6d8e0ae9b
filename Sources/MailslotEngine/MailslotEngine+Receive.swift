import MailslotCore

// The local transport's wiring: a mailslot's socket is readable.
extension MailslotEngine {
    /// A readable event: up to `batchesPerEvent` recvmmsg calls, stopping at a short batch
    /// (libev is level-triggered, so what is left raises the event again).
    ///
    /// A mailslot with a callback gets each batch as soon as it lands, so its ring space is
    /// reused at once and the ring stays at its initial size however busy the mailslot is.
    func handleReadable(index: Int) {
        guard let record = table[index] else { return }
        for _ in 0..<configuration.batchesPerEvent {
            let outcome = local.ingest(record)
            if record.handler != nil {
                deliver(record)
                guard table[index] === record else { return }
            }
            if outcome != .more { break }
        }
        deliver(record)
    }
}
