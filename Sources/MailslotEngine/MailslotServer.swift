import MailslotCore

/// The server end of a mailslot: the only reader (Win32: the handle from `CreateMailslot`).
///
/// It has no write operation: a mailslot server cannot write to itself (Win32 answers
/// `ERROR_ACCESS_DENIED`; here the operation does not exist).
///
/// Use it on its engine's thread. Closing it (or dropping the last reference) closes this
/// process's handle; the mailslot and its name live until every handle in every process is
/// closed.
public final class MailslotServer {
    let engine: MailslotEngine
    let handle: SlotHandle

    init(engine: MailslotEngine, handle: SlotHandle) {
        self.engine = engine
        self.handle = handle
    }

    deinit {
        if engine.isOpen(handle) { engine.closeSlot(index: handle.index) }
    }

    /// The mailslot's name.
    public var name: MailslotName {
        get throws(MailslotError) { try engine.record(handle).name }
    }

    /// `true` until ``close()``.
    public var isOpen: Bool { engine.isOpen(handle) }

    /// What `GetMailslotInfo` reports: max size, next size, count and read timeout.
    /// - Throws: ``/MailslotCore/MailslotError/invalidHandle`` after ``close()``.
    ///
    /// It first moves what the kernel holds into the ring (as far as the ring takes it), so the
    /// count includes messages not yet received by the loop. From inside this mailslot's own
    /// callback it reports the ring as it is.
    public func info() throws(MailslotError) -> MailslotInfo {
        try engine.info(handle)
    }

    /// Changes the read timeout for later reads (Win32 `SetMailslotInfo`).
    public func setReadTimeout(_ timeout: ReadTimeout) throws(MailslotError) {
        try engine.record(handle).readTimeout = timeout.normalized
    }

    /// Reads one whole message into `buffer` (Win32 `ReadFile`), waiting per the read timeout.
    ///
    /// - Returns: the message size (`0` for an empty message).
    /// - Throws: ``/MailslotCore/MailslotError/timeout`` when no message came in time;
    ///   ``/MailslotCore/MailslotError/insufficientBuffer(needed:available:)`` when the message is larger than
    ///   `buffer`: it then stays queued.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(MailslotError) -> Int {
        let outcome: Result<Int, MailslotError> = try engine.withNextMessage(handle, consume: false) { message in
            guard message.byteCount <= buffer.count else {
                return .failure(.insufficientBuffer(needed: message.byteCount, available: buffer.count))
            }
            message.withUnsafeBytes { source in
                if let base = buffer.baseAddress, let start = source.baseAddress { base.copyMemory(from: start, byteCount: source.count) }
            }
            return .success(message.byteCount)
        }
        let length = try outcome.get()
        try engine.consumeNext(handle, bytes: length)
        return length
    }

    /// Reads one whole message as a new array, waiting per the read timeout.
    /// - Throws: ``/MailslotCore/MailslotError/timeout`` when no message came in time.
    public func readMessage() throws(MailslotError) -> [UInt8] {
        try withNextMessage { $0.byteArray }
    }

    /// Waits per the read timeout for the next message, calls `body` with a borrowed view of it
    /// (no copy: the bytes are in the ring), then consumes it. The view cannot escape `body`
    /// (a `RawSpan`); `byteArray` copies it.
    public func withNextMessage<R>(_ body: (RawSpan) -> R) throws(MailslotError) -> R {
        try engine.withNextMessage(handle, consume: true, body)
    }

    /// Delivers every message to `handler` on the loop thread, borrowed, as it arrives
    /// (while the engine runs). Messages already queued are delivered now. `nil` stops it.
    ///
    /// Inside `handler` every API of this server may be called: `info()`, `statistics()`,
    /// `onMessage` (to replace or stop the callback: the next message goes to the new one),
    /// `close()`, and reads of other mailslots. A blocking read of this same mailslot fails with
    /// ``/MailslotCore/MailslotError/busy(_:)``: its next message is the one being handled.
    ///
    /// The message is a `RawSpan`, a view into the ring that cannot outlive the call: copy it
    /// (`byteArray`, `utf8Text`) to keep it.
    public func onMessage(_ handler: ((RawSpan) -> Void)?) throws(MailslotError) {
        try setCallback(handler.map { handler in { bytes, _ in handler(bytes) } }, bytesOnly: handler)
    }

    /// As ``onMessage(_:)``, with each message's origin: where a message from another
    /// computer came from (`nil` for local messages).
    public func onMessageWithOrigin(_ handler: ((RawSpan, MessageOrigin?) -> Void)?) throws(MailslotError) {
        try setCallback(handler, bytesOnly: nil)
    }

    private func setCallback(
        _ handler: ((RawSpan, MessageOrigin?) -> Void)?, bytesOnly: ((RawSpan) -> Void)?
    ) throws(MailslotError) {
        try engine.setHandler(handle, handler, bytesOnly: bytesOnly)
    }

    /// Reads the next message without blocking the thread: `completion` runs on the loop thread
    /// with a copy of it, or with ``/MailslotCore/MailslotError/timeout`` after the read timeout.
    public func read(completion: @escaping (Result<[UInt8], MailslotError>) -> Void) {
        engine.enqueueRead(handle) { result in completion(result.map(\.0)) }
    }

    /// As ``read(completion:)``, with the message's origin (`nil` for local messages).
    public func readWithOrigin(completion: @escaping (Result<([UInt8], MessageOrigin?), MailslotError>) -> Void) {
        engine.enqueueRead(handle, completion: completion)
    }

    /// Traffic and drop counters.
    public func statistics() throws(MailslotError) -> MailslotStatistics {
        try engine.record(handle).currentStatistics
    }

    /// Bytes of ring memory this mailslot holds now.
    public func ringBytes() throws(MailslotError) -> Int {
        try engine.record(handle).ring.allocatedBytes
    }

    /// The descriptors that become readable when a message may be waiting and the engine has
    /// not taken it yet: the mailslot's socket, and the shared-memory ring's wake eventfd.
    package var arrivalDescriptors: [Int32] {
        guard let record = try? engine.record(handle) else { return [] }
        return [record.fd] + (record.sharedMemory.map { [$0.region.wakeFD] } ?? [])
    }

    /// `true` while a full ring has paused receiving (push-back): the kernel holds the rest.
    package var isReceivePaused: Bool { (try? engine.record(handle))?.paused ?? false }

    /// Moves what the kernel holds into the ring, as far as the ring takes it.
    package func receivePending() {
        guard let record = try? engine.record(handle), !record.borrowed else { return }
        engine.local.ingestKernelQueue(record)
    }

    /// Before a wait with nothing queued: asks shared-memory writers to signal the next
    /// message. - Returns: `false` when one came meanwhile (look again instead of waiting).
    package func prepareToWait() -> Bool {
        guard let record = try? engine.record(handle) else { return true }
        return engine.prepareSharedMemoryToSleep(record)
    }

    /// `true` when a message is queued where a read finds it without a system call (the ring,
    /// or the shared-memory ring).
    package var hasQueuedMessage: Bool {
        guard let record = try? engine.record(handle) else { return false }
        return !record.ring.isEmpty || (record.sharedMemory?.hasMessage ?? false)
    }

    /// Closes this handle (Win32 `CloseHandle`): unread messages in this process are dropped and,
    /// unless another process holds a handle, the name is free at once.
    public func close() {
        if engine.isOpen(handle) { engine.closeSlot(index: handle.index) }
    }
}
