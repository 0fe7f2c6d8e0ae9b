/// A descriptor readable while a mailslot has a message for its reader: an epoll set of the
/// mailslot's arrival descriptors (its socket, its shared-memory wake) and a flag its owner
/// keeps equal to "the ring holds a message".
///
/// Level-triggered, so it suits `poll`, `epoll` (even edge-triggered: each arrival and each
/// flag change is a new event) and libev or libuv watchers.
final class ReadinessDescriptor {
    private let epoll: Descriptor
    private let queued: WaitableFlag

    /// Watches `arrivals` plus the flag. - Throws: when descriptors run out.
    init(watching arrivals: [Int32]) throws(MailslotError) {
        queued = try WaitableFlag()
        do {
            let epoll = Descriptor(owning: try system_epollCreate())
            for fd in arrivals + [queued.descriptor] { try system_epollAddReadable(epoll.rawValue, fd) }
            self.epoll = epoll
        } catch {
            throw error.mailslotError
        }
    }

    /// The descriptor to poll.
    var descriptor: Int32 { epoll.rawValue }

    /// Sets the flag to "the ring holds a message" (`true`) or not.
    func update(_ hasMessage: Bool) {
        queued.update(hasMessage)
    }
}
