import CoreMetrics
import MailslotCore

/// The engine's counters and gauges in swift-metrics, with Prometheus names, taken from its
/// statistics once per sweep (``EngineConfiguration/idleSweepInterval``, 1 s) and on
/// ``MailslotEngine/reportMetrics()``: no work per message, whatever the backend, and none at
/// all when no backend was bootstrapped and none was configured.
///
/// | metric | kind | dimensions |
/// |---|---|---|
/// | `mailslot_messages_received_total` | counter | — |
/// | `mailslot_messages_delivered_total` | counter | — |
/// | `mailslot_bytes_delivered_total` | counter | — |
/// | `mailslot_messages_dropped_total` | counter | `cause` (queue_full, oversize, …) |
/// | `mailslot_network_datagrams_received_total` | counter | — (the datagram service) |
/// | `mailslot_network_datagrams_dropped_total` | counter | `cause` |
/// | `mailslot_open_mailslots` | gauge | — |
/// | `mailslot_queued_messages`, `mailslot_queued_bytes` | gauge | — |
/// | `mailslot_stream_batch_messages` | histogram (aggregated recorder) | — |
///
/// The histogram is the one figure recorded as it happens: the messages in each batch a
/// ``MailslotMessages`` stream hands to its consumer (one record per thread hop, never per
/// message). It shows how well streams batch under the load of the moment.
///
/// No per-mailslot dimension: the cardinality stays the same with 10,000 mailslots.
final class EngineMetrics {
    private let received: Counter
    private let delivered: Counter
    private let deliveredBytes: Counter
    private let dropped: [(KeyPath<DropCounters, UInt64>, Counter)]
    private let networkReceived: Counter
    private let networkDropped: [(KeyPath<DropCounters, UInt64>, Counter)]
    private let openMailslots: Gauge
    private let queuedMessages: Gauge
    private let queuedBytes: Gauge
    private let streamBatch: Recorder
    private var last = MailslotStatistics()
    private var lastNetwork = DatagramStatistics()

    /// Each drop cause's `cause` value and counter.
    static var causes: [(String, KeyPath<DropCounters, UInt64>)] {
        [
            ("queue_full", \.queueFull), ("oversize", \.oversize), ("malformed", \.malformed),
            ("unknown_mailslot", \.unknownMailslot), ("wrong_destination", \.wrongDestination),
            ("kernel_buffer_full", \.kernelBufferFull), ("engine_memory_full", \.engineMemoryFull),
            ("closed_unread", \.closedUnread), ("writer_died", \.writerDied), ("access_denied", \.accessDenied),
            ("ring_reset_estimated", \.ringResetEstimated), ("carried_descriptors", \.carriedDescriptors),
        ]
    }

    /// Metrics through `factory`, else through the `bootstrapped` one (swift-metrics' global
    /// factory); `nil` when there is nowhere to send them (none given and none bootstrapped).
    static func make(_ factory: (any MetricsFactory)?, bootstrapped: any MetricsFactory = MetricsSystem.factory) -> EngineMetrics? {
        if let factory { return EngineMetrics(factory: factory) }
        return bootstrapped is NOOPMetricsHandler ? nil : EngineMetrics(factory: bootstrapped)
    }

    private init(factory: any MetricsFactory) {
        received = Counter(label: "mailslot_messages_received_total", factory: factory)
        delivered = Counter(label: "mailslot_messages_delivered_total", factory: factory)
        deliveredBytes = Counter(label: "mailslot_bytes_delivered_total", factory: factory)
        dropped = Self.causes.map { cause, path in
            (path, Counter(label: "mailslot_messages_dropped_total", dimensions: [("cause", cause)], factory: factory))
        }
        networkReceived = Counter(label: "mailslot_network_datagrams_received_total", factory: factory)
        networkDropped = Self.causes.map { cause, path in
            (path, Counter(label: "mailslot_network_datagrams_dropped_total", dimensions: [("cause", cause)], factory: factory))
        }
        openMailslots = Gauge(label: "mailslot_open_mailslots", factory: factory)
        queuedMessages = Gauge(label: "mailslot_queued_messages", factory: factory)
        queuedBytes = Gauge(label: "mailslot_queued_bytes", factory: factory)
        streamBatch = Recorder(label: Self.streamBatchLabel, aggregate: true, factory: factory)
    }

    /// The stream batch histogram's name (a backend may want buckets of its own for it: the
    /// values are 1 to ``MessageStreamFeeder/batchLimit``).
    static let streamBatchLabel = "mailslot_stream_batch_messages"

    /// A stream handed `messages` to its consumer in one batch.
    func recordStreamBatch(_ messages: Int) {
        streamBatch.record(messages)
    }

    /// Adds what the counters gained since the last report, and sets the gauges.
    func report(
        totals: MailslotStatistics, network: DatagramStatistics?, open: Int, queuedMessages messages: Int, queuedBytes bytes: Int
    ) {
        received.increment(by: Int64(truncatingIfNeeded: totals.received &- last.received))
        delivered.increment(by: Int64(truncatingIfNeeded: totals.delivered &- last.delivered))
        deliveredBytes.increment(by: Int64(truncatingIfNeeded: totals.deliveredBytes &- last.deliveredBytes))
        for (path, counter) in dropped {
            let gained = totals.drops[keyPath: path] &- last.drops[keyPath: path]
            if gained > 0 { counter.increment(by: Int64(truncatingIfNeeded: gained)) }
        }
        last = totals
        if let network {
            networkReceived.increment(by: Int64(truncatingIfNeeded: network.received &- lastNetwork.received))
            for (path, counter) in networkDropped {
                let gained = network.drops[keyPath: path] &- lastNetwork.drops[keyPath: path]
                if gained > 0 { counter.increment(by: Int64(truncatingIfNeeded: gained)) }
            }
            lastNetwork = network
        }
        openMailslots.record(open)
        queuedMessages.record(messages)
        queuedBytes.record(bytes)
    }
}

extension MailslotEngine {
    /// Sends the counters' gains and the gauges to the metrics backend now (the engine does it
    /// once per sweep by itself). Does nothing without a backend.
    public func reportMetrics() {
        guard let metrics else { return }
        var queuedMessages = 0
        var queuedBytes = 0
        table.forEachOpen { _, record in
            queuedMessages += record.ring.messageCount + (record.sharedMemory?.messageCount ?? 0)
            queuedBytes += record.ring.usedBytes
        }
        metrics.report(
            totals: statistics, network: datagramStatistics, open: mailslotCount, queuedMessages: queuedMessages,
            queuedBytes: queuedBytes)
    }
}
