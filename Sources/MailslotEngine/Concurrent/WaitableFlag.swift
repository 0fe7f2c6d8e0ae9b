import Glibc

/// A flag that `poll` can wait on: an eventfd that is readable while the flag is set.
///
/// The readiness of a ``ConcurrentMailslotServer`` ("a message is queued", "closing") and the
/// descriptor a wait on a C library Win32 event polls are flags. Any thread may call any method.
package final class WaitableFlag: @unchecked Sendable {
    private let event: Descriptor
    private let state = ThreadLock(false)

    /// A flag, initially clear. - Throws: when the process is out of descriptors.
    package init(set initiallySet: Bool = false) throws(MailslotError) {
        do { event = Descriptor(owning: try system_eventfd()) } catch { throw error.mailslotError }
        if initiallySet { set() }
    }

    /// The descriptor to poll: readable while the flag is set. Valid while this object lives.
    package var descriptor: Int32 { event.rawValue }

    /// Sets the flag (idempotent).
    package func set() {
        state.withLock { isSet in
            guard !isSet else { return }
            isSet = true
            system_eventfdSignal(event.rawValue)
        }
    }

    /// Clears the flag (idempotent).
    package func clear() {
        state.withLock { isSet in
            guard isSet else { return }
            isSet = false
            system_eventfdReset(event.rawValue)
        }
    }

    /// Sets or clears the flag to match `value`.
    package func update(_ value: Bool) {
        if value { set() } else { clear() }
    }
}
