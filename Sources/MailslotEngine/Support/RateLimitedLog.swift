import Logging

/// Warnings about trouble that can repeat at traffic rate (failed receives, failed relays and
/// forwards, corrupt shared-memory rings, dead writers): each kind is logged at most once per
/// ``interval``, saying how many more happened since the last report. Nothing is logged per
/// message in steady state, and nothing at all while nothing goes wrong.
final class RateLimitedLog {
    /// What went wrong.
    enum Kind: String, Hashable {
        case receiveFailed = "receive-failed"
        case serviceReceiveFailed = "service-receive-failed"
        case relayFailed = "relay-failed"
        case forwardFailed = "forward-failed"
        case sharedMemoryReset = "shared-memory-reset"
        case writerDied = "writer-died"
        case registryFailed = "registry-failed"
    }

    let logger: Logger
    /// Seconds between two reports of one kind.
    let interval: Double
    private var lastReport: [Kind: Double] = [:]
    private var heldBack: [Kind: Int] = [:]

    init(logger: Logger, interval: Double) {
        self.logger = logger
        self.interval = interval
    }

    /// Logs a warning of `kind` now, or counts it for the next report.
    func warning(_ kind: Kind, _ message: @autoclosure () -> String, now: Double) {
        if let last = lastReport[kind], now - last < interval {
            heldBack[kind, default: 0] += 1
            return
        }
        let more = heldBack.removeValue(forKey: kind) ?? 0
        lastReport[kind] = now
        var text = message()
        if more > 0 { text += " (and \(more) more since the last report)" }
        logger.warning("\(text)", metadata: ["kind": "\(kind.rawValue)"])
    }
}
