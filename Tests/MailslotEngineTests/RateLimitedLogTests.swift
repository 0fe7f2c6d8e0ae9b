import Logging
@testable import MailslotEngine
import Testing

/// The engine's warnings: at most one per kind per interval, with the count held back, through
/// whatever `Logger` the configuration names.
@Suite("Rate-limited warnings", .timeLimit(.minutes(5)))
struct RateLimitedLogTests {
    /// A log handler that keeps what it is given.
    final class Capture: LogHandler, @unchecked Sendable {
        var messages: [(Logger.Level, String, Logger.Metadata?)] = []
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            messages.append((event.level, "\(event.message)", event.metadata))
        }
    }

    @Test("1,000 failures of one kind in a burst make one warning; the next report says how many were held back")
    func oneWarningPerInterval() {
        let capture = Capture()
        let log = RateLimitedLog(logger: Logger(label: "test") { _ in capture }, interval: 10)
        for index in 0..<1000 { log.warning(.relayFailed, "relay \(index) failed", now: 100 + Double(index) / 1000) }
        log.warning(.receiveFailed, "another kind", now: 100.5)
        #expect(capture.messages.map(\.1) == ["relay 0 failed", "another kind"])
        log.warning(.relayFailed, "relay again", now: 110.5)
        #expect(capture.messages.last?.1 == "relay again (and 999 more since the last report)")
        #expect(capture.messages.allSatisfy { $0.0 == .warning })
        #expect(capture.messages.first?.2?["kind"] == "relay-failed")
    }
}
