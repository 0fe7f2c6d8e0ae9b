import CLibEv
import MailslotCore
import MailslotRing

/// The engine's state for one open mailslot server handle.
final class SlotRecord {
    let name: MailslotName
    let endpoint: LocalEndpoint
    let fd: Int32
    let generation: UInt32
    let maxMessageSize: UInt32
    var readTimeout: ReadTimeout
    var ring: DatagramRing
    /// The libev watcher, in memory that never moves while the slot lives.
    let watcher: UnsafeMutablePointer<ev_io>
    /// `true` while the watcher is stopped because the ring is at its quota (back-pressure).
    var paused = false
    /// Payload bytes reserved per batch slot; grows to the largest message seen.
    var sizeEstimate: Int
    var statistics = MailslotStatistics()
    /// The loop-thread callback that takes every message, borrowed.
    var handler: ((UnsafeRawBufferPointer) -> Void)?
    /// Reads waiting for a message, oldest first.
    var waiters: [PendingRead] = []

    init(
        name: MailslotName, fd: Int32, generation: UInt32, maxMessageSize: UInt32,
        readTimeout: ReadTimeout, configuration: EngineConfiguration
    ) {
        self.name = name
        self.endpoint = LocalEndpoint(name)
        self.fd = fd
        self.generation = generation
        self.maxMessageSize = maxMessageSize
        self.readTimeout = readTimeout
        let limit = MessageSizeLimit.effective(maxMessageSize)
        let quota = max(configuration.ringQuota, RingDescriptor.footprint(payload: limit))
        self.ring = DatagramRing(quota: quota, initialCapacity: configuration.ringInitialCapacity)
        self.sizeEstimate = limit <= 4096 ? limit : 1024
        self.watcher = .allocate(capacity: 1)
    }

    deinit {
        watcher.deallocate()
    }

    var limit: Int { MessageSizeLimit.effective(maxMessageSize) }

    var info: MailslotInfo {
        MailslotInfo(
            maxMessageSize: maxMessageSize, nextMessageSize: ring.nextMessageLength,
            messageCount: ring.messageCount, readTimeout: readTimeout)
    }
}

/// A read that waits on the loop for the next message (the async and callback read paths).
struct PendingRead {
    /// Monotonic seconds after which the read fails with a timeout; `nil` waits forever.
    let deadline: Double?
    let completion: (Result<[UInt8], MailslotError>) -> Void
}
