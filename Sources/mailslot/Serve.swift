import ArgumentParser
import Glibc
import MailslotEngine
import MailslotServiceLifecycle
import MailslotSupport
import Prometheus

/// `mailslot serve`: create a mailslot and print every message it receives.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create a mailslot and print each message on one line to stdout.",
        discussion: "Prints 'ready <full name>' to stderr once it can receive. Exits 0 after --count messages or on SIGINT/SIGTERM, which first print what was already received (for up to --drain-timeout); on every exit it prints a one-line summary (messages received, drops by cause, how many came through shared memory) on stderr: with --format json, one JSON object that also names the version and commit."
    )

    @Argument(help: "The mailslot: 'x' (meaning \\\\.\\mailslot\\x) or \\\\.\\mailslot\\[path\\]name.")
    var name: String?

    @Option(help: "The largest message writers may send, in bytes (0: any).")
    var maxSize: UInt32 = 0

    @Option(help: "Read timeout: milliseconds, 0, or 'forever'. With a finite timeout, serve exits 1 when no message arrives in time.")
    var timeout: String = "forever"

    @Option(help: "Exit 0 after this many messages.")
    var count: Int?

    @Option(help: "Output format: text, hex or json.")
    var format: MessageFormat = .text

    @Option(help: "Also offer writers a shared-memory ring of this size (e.g. 4M): writers running as this user (or root) then write with no system call per message. Default: socket only.")
    var sharedMemory: ByteCount?

    @Option(name: .customLong("allow-uid"), help: "Let this user (a uid or a name) write; repeat for more. With any --allow-uid or --allow-gid, only they, this user and root may write (default: anyone). Refused messages are counted as access-denied.")
    var allowUIDs: [String] = []

    @Option(name: .customLong("allow-gid"), help: "Let writers whose primary group is this one (a gid or a name) write; repeat for more.")
    var allowGIDs: [String] = []

    @OptionGroup var network: NetworkOptions

    @OptionGroup var service: ServiceOptions

    @Option(help: ArgumentHelp("Adopt an inherited mailslot server descriptor instead of creating one.", visibility: .hidden))
    var inheritedFd: Int32?

    @Option(help: ArgumentHelp("Receive a mailslot server handle over this Unix socket descriptor.", visibility: .hidden))
    var handleSocketFd: Int32?

    /// The access list from --allow-uid and --allow-gid (`nil`: the default, anyone).
    func writerAccess() throws -> WriterAccess? {
        guard !allowUIDs.isEmpty || !allowGIDs.isEmpty else { return nil }
        return WriterAccess(uids: try allowUIDs.map(UserID.uid), gids: try allowGIDs.map(UserID.gid))
    }

    func run() async throws {
        guard let readTimeout = ReadTimeout(parsing: timeout) else {
            throw ValidationError("--timeout takes milliseconds, 0 or 'forever', not '\(timeout)'")
        }
        if let count, count < 0 { throw ValidationError("--count must be 0 or more") }
        if inheritedFd == nil && handleSocketFd == nil && name == nil { throw ValidationError("missing NAME") }
        let registry = service.metrics == nil ? nil : PrometheusCollectorRegistry()
        let (maxSize, format, count) = (self.maxSize, self.format, self.count)
        let outcome = ServiceOutcome()
        // Every failure, from parsing the name to the read timeout, is one `mailslot: …` line.
        try await reportingFailures(afterFailure: { nil }) {
            let source: MailslotSource =
                if let inheritedFd { .inherited(inheritedFd) } else if let handleSocketFd { .received(handleSocketFd) } else {
                    .created(try parseName(name!), sharedMemoryBytes: sharedMemory?.bytes ?? 0, writers: try writerAccess())
                }
            let network = self.network.udpPort == nil ? nil : try self.network.configuration()
            let mailslots = try service.makeEngine(registry: registry)
            let name: String = try await mailslots.engine.run { engine in
                Result { () throws(MailslotError) -> String in
                    let server = try source.open(in: engine, maxMessageSize: maxSize, readTimeout: readTimeout)
                    try server.setReadTimeout(readTimeout)
                    if let network {
                        // Embedded mode: this process is the host's datagram service, unless a
                        // relay already is (then the relay hands remote messages to this mailslot).
                        do throws(MailslotError) {
                            try engine.startDatagramService(network)
                        } catch {
                            guard case .alreadyExists(let what) = error else { throw error }
                            printError("note: \(what); remote messages come through it")
                        }
                    }
                    let session = try ServeSession(engine: engine, server: server, format: format, limit: count)
                    try session.start()
                    engine.onThreadEnd {
                        session.finish()
                        outcome.summary = session.summary()
                        outcome.error = session.failure
                    }
                    return session.name
                }
            }.get()
            try await service.run(mailslots, registry: registry, readyLine: "ready \(name)", outcome: outcome)
        }
    }
}

/// Where `serve`'s mailslot comes from.
enum MailslotSource: Sendable {
    case created(MailslotName, sharedMemoryBytes: Int, writers: WriterAccess?)
    case inherited(Int32)
    case received(Int32)

    /// Opens it in `engine` (on the loop thread).
    func open(in engine: MailslotEngine, maxMessageSize: UInt32, readTimeout: ReadTimeout) throws(MailslotError) -> MailslotServer {
        switch self {
        case .created(let name, let bytes, let writers):
            try engine.createMailslot(
                name, maxMessageSize: maxMessageSize, readTimeout: readTimeout, sharedMemoryBytes: bytes, writers: writers)
        case .inherited(let fd): try engine.adoptMailslot(descriptor: fd)
        case .received(let socket): try engine.receiveMailslot(over: socket)
        }
    }
}

/// How `serve` prints a message.
enum MessageFormat: String, ExpressibleByArgument, CaseIterable {
    case text, hex, json
}

/// The receive loop of `serve`: a callback on the engine thread's loop, with each message
/// borrowed from the ring (no recursion, no per-read round trip), output flushed every few
/// milliseconds and at exit, and the read timeout checked on a timer.
final class ServeSession {
    let engine: MailslotEngine
    let server: MailslotServer
    let format: MessageFormat
    let limit: Int?
    let name: String
    var received = 0
    var failure: MailslotError?
    /// Monotonic seconds of the last message (or of the start).
    private var lastMessage = 0.0
    /// How often output is flushed and the timeout checked, in seconds.
    static let tick = 0.02

    init(engine: MailslotEngine, server: MailslotServer, format: MessageFormat, limit: Int?) throws(MailslotError) {
        self.engine = engine
        self.server = server
        self.format = format
        self.limit = limit
        self.name = try server.name.fullName
    }

    /// Installs the callback and the tick (output flush, read timeout) on the loop thread.
    func start() throws(MailslotError) {
        let timeout = try server.info().readTimeout.seconds
        lastMessage = now()
        if limit == 0 {
            engine.stop()
            return
        }
        try server.onMessageWithOrigin { [unowned self] bytes, origin in
            self.take(bytes, origin: origin)
        }
        engine.onTick(every: min(Self.tick, max(timeout ?? Self.tick, 0.001))) { [unowned self] in
            fflush(nil)
            if let timeout, now() - lastMessage >= timeout {
                failure = .timeout
                engine.stop()
            }
        }
    }

    /// The loop has ended (count, timeout, or a drained SIGTERM): close (what is still queued
    /// is counted as closed-unread) and stop the datagram service; ``summary()`` then has the
    /// final counts.
    func finish() {
        engine.onTick(every: 0, nil)
        try? server.onMessage(nil)
        fflush(nil)
        server.close()
        engine.stopDatagramService()
    }

    /// One message: printed, counted; at the limit the callback is removed, so later messages
    /// stay queued (and are counted as unread at close) instead of being consumed unprinted.
    private func take(_ bytes: RawSpan, origin: MessageOrigin?) {
        print(MessagePrinter.line(for: bytes.byteArray, format: format, name: name, origin: origin))
        received += 1
        lastMessage = now()
        if let limit, received >= limit {
            try? server.onMessage(nil)
            engine.stop()
        }
    }

    private func now() -> Double { MonotonicClock.seconds() }

    /// `summary: N messages received, D dropped (causes)`, then the datagram service's line.
    func summary() -> String {
        let stats = engine.statistics
        var line = "summary: \(received) messages received, \(stats.drops.total) dropped (\(stats.drops.summary))"
        if stats.receiveErrors > 0 {
            line += ", \(stats.receiveErrors) receive errors (last: \(engine.lastReceiveError.map { "\($0)" } ?? "unknown"))"
        }
        if stats.receivedThroughSharedMemory > 0 || stats.sharedMemoryResets > 0 {
            line += ", \(stats.receivedThroughSharedMemory) through shared memory"
            if stats.sharedMemoryResets > 0 { line += " (\(stats.sharedMemoryResets) ring resets after corruption)" }
        }
        if let datagrams = engine.datagramStatistics { line += "; " + DatagramSummary.line(datagrams) }
        guard format == .json else { return line }
        // One JSON object instead, the text line inside: the figures, then what built them.
        let drops = stats.drops.causes.map { "\(JSONText.quoted($0.name)): \($0.count)" }.joined(separator: ", ")
        return "{\"summary\": {\"received\": \(received), \"dropped\": \(stats.drops.total), \"drops\": {\(drops)}, "
            + "\"receive_errors\": \(stats.receiveErrors), \"through_shared_memory\": \(stats.receivedThroughSharedMemory), "
            + "\"text\": \(JSONText.quoted(line))}, \(BuildInfo.jsonFields)}"
    }
}
