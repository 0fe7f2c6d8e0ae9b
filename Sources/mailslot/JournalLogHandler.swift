import ArgumentParser
import Glibc
import Logging

/// How `serve` and `relay` write their log lines on stderr.
enum LogFormat: String, CaseIterable, ExpressibleByArgument {
    /// `2026-12-02T15:20:11+0000 warning mailslot : message`: swift-log's own lines, for a terminal.
    case text
    /// `<4>mailslot: message`: a syslog priority first, which journald reads from a service's
    /// stderr (`SyslogLevelPrefix=`, on by default) so `journalctl -p warning` filters it; no
    /// time stamp, since the journal keeps its own.
    case journal

    /// `journal` when stderr is the journal (systemd sets `$JOURNAL_STREAM` for a service whose
    /// output goes there), else `text`.
    static var automatic: LogFormat {
        (getenv("JOURNAL_STREAM").map { String(cString: $0).isEmpty } ?? true) ? .text : .journal
    }
}

/// A swift-log handler that writes each entry as one journal line: `<priority>label: message
/// key=value…`, in one `write(2)`.
struct JournalLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        let fields = merged.sorted { $0.key < $1.key }.map { " \($0.key)=\($0.value)" }.joined()
        // One entry is one journal line: a newline inside the message would start an entry of
        // default priority.
        let text = "\(event.message)\(fields)".replacing("\n", with: " ")
        writeToStandardError("<\(Self.priority(event.level))>\(label): \(text)\n")
    }

    /// The syslog priority of a swift-log level (`sd-daemon(3)`'s `SD_ERR` … `SD_DEBUG`).
    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }
}
