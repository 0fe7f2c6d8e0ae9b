import CMailslotAPI
import Logging
import MailslotEngine

/// What the C library keeps for the whole process: the network settings remote writers use,
/// the program's log handler, and the configuration every server's engine gets.
enum LibraryState {
    /// `msl_network_set`'s settings over the system's (`nil`: the system's, read when needed).
    static let network = ThreadLock<NetworkConfiguration?>(nil)

    /// The network settings for a writer opened now.
    static func networkConfiguration() throws(MailslotError) -> NetworkConfiguration {
        let result: Result<NetworkConfiguration, MailslotError> = network.withLock { settings in
            if let settings { return .success(settings) }
            return Result { () throws(MailslotError) in try NetworkConfiguration.standard() }
        }
        return try result.get()
    }

    /// Applies one `key = value` over the current settings.
    static func setNetwork(_ key: String, _ value: String) throws(MailslotError) {
        let base = try networkConfiguration()
        var changed = base
        try changed.set(key, to: value, source: "msl_network_set")
        network.withLock { $0 = changed }
    }

    /// The configuration of each server's engine: logs to the program's handler (or nowhere),
    /// and no change to the process's descriptor limit (a library leaves it to the program).
    static func engineConfiguration() -> EngineConfiguration {
        var configuration = EngineConfiguration()
        configuration.wantedOpenFiles = 0
        configuration.logger = Logger(label: "mailslot") { _ in ForwardingLogHandler() }
        return configuration
    }
}

/// The program's log handler (`msl_set_log_handler`): a C function, its context and the
/// lowest level it wants.
struct LogTarget: @unchecked Sendable {
    var handler: msl_log_handler
    var context: UnsafeMutableRawPointer?
    var minimumLevel: Int32

    /// The program's target, `nil` until it sets one (the library then logs nothing).
    static let current = ThreadLock<LogTarget?>(nil)
}

/// Hands each log line to ``LogTarget/current``, on the thread that logs.
struct ForwardingLogHandler: LogHandler {
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .debug

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        guard let target = LogTarget.current.withLock({ $0 }) else { return }
        let level = Self.cLevel(event.level)
        guard level >= target.minimumLevel else { return }
        var line = event.message.description
        if let details = event.metadata, !details.isEmpty {
            line += " " + details.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        }
        line.withCString { target.handler(level, $0, target.context) }
    }

    /// The `MSL_LOG_*` level of a swift-log level.
    static func cLevel(_ level: Logger.Level) -> Int32 {
        switch level {
        case .trace, .debug: MSL_LOG_DEBUG
        case .info, .notice: MSL_LOG_INFO
        case .warning: MSL_LOG_WARNING
        case .error, .critical: MSL_LOG_ERROR
        }
    }
}
