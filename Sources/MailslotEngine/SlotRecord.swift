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
    /// The loop-thread callback that takes every message, borrowed, with its origin.
    var handler: ((UnsafeRawBufferPointer, MessageOrigin?) -> Void)?
    /// Origins of queued messages from other computers, oldest first, keyed by message number
    /// (the count of messages queued before it). Local messages have none, so this stays empty
    /// on a purely local mailslot.
    var origins: [(number: UInt64, origin: MessageOrigin)] = []
    var originsStart = 0
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
        // Big enough for common messages (a datagram up to 512 bytes lands in place); larger
        // ones take the overflow path once and raise the estimate.
        self.sizeEstimate = min(limit, 512)
        self.watcher = .allocate(capacity: 1)
    }

    deinit {
        watcher.deallocate()
    }

    var limit: Int { MessageSizeLimit.effective(maxMessageSize) }

    /// The origin of the next message to be consumed, if it came from another computer.
    var nextOrigin: MessageOrigin? {
        guard originsStart < origins.count, origins[originsStart].number == statistics.delivered else { return nil }
        return origins[originsStart].origin
    }

    /// Records that the next message was consumed.
    func didConsume() {
        if originsStart < origins.count, origins[originsStart].number == statistics.delivered {
            originsStart += 1
            if originsStart == origins.count {
                origins.removeAll(keepingCapacity: true)
                originsStart = 0
            }
        }
        statistics.delivered &+= 1
    }

    /// Queues a message from another computer (a copy from the datagram service's buffer).
    /// - Returns: `false`, counting a queue-full drop, when the ring has no room.
    func appendRemote(_ bytes: UnsafeRawBufferPointer, origin: MessageOrigin) -> Bool {
        guard bytes.count <= limit else {
            statistics.drops.oversize &+= 1
            return false
        }
        guard ring.append(bytes) else {
            statistics.drops.queueFull &+= 1
            return false
        }
        origins.append((statistics.received, origin))
        statistics.received &+= 1
        return true
    }

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
    let completion: (Result<([UInt8], MessageOrigin?), MailslotError>) -> Void
}
