import ArgumentParser
import Glibc
import Logging
import MailslotEngine
import MailslotPrometheus
import MailslotServiceLifecycle
import Prometheus
import ServiceLifecycle

/// How `serve` and `relay` run as services: graceful shutdown on SIGTERM/SIGINT, and Prometheus
/// metrics on request.
struct ServiceOptions: ParsableArguments {
    @Option(help: "Serve Prometheus metrics at http://HOST:PORT/metrics (e.g. 127.0.0.1:9138; port 0: any free port, printed as 'metrics HOST:PORT' on stderr).")
    var metrics: String?

    @Option(help: "On SIGTERM or SIGINT, deliver what was already received for at most this many milliseconds, then close (what is left counts as closed-unread).")
    var drainTimeout: Int = 5000

    @Option(help: "Log lines on stderr: 'text', or 'journal' (each line led by its syslog priority, '<4>' for a warning, for journalctl -p). Default: journal when stderr is the journal ($JOURNAL_STREAM), else text.")
    var logFormat: LogFormat?

    /// The metrics address, parsed.
    func metricsAddress() throws -> (host: String, port: UInt16)? {
        guard let metrics else { return nil }
        guard let colon = metrics.lastIndex(of: ":"), let port = UInt16(metrics[metrics.index(after: colon)...]) else {
            throw ValidationError("--metrics takes HOST:PORT, not '\(metrics)'")
        }
        return (String(metrics[..<colon]), port)
    }

    /// Logs warnings (rate-limited by the engine) to stderr, as text or journal lines.
    var logger: Logger {
        var logger = Logger(label: "mailslot") { label in
            switch logFormat ?? .automatic {
            case .text: StreamLogHandler.standardError(label: label)
            case .journal: JournalLogHandler(label: label)
            }
        }
        logger.logLevel = .warning
        return logger
    }

    /// The engine service, with metrics into `registry` when there is one. From here on, a
    /// SIGTERM or SIGINT is held until the service group catches signals (see ``EarlySignal``).
    func makeEngine(registry: PrometheusCollectorRegistry?) throws(MailslotError) -> MailslotService {
        guard drainTimeout >= 0 else { throw .invalidParameter("--drain-timeout must be 0 or more") }
        EarlySignal.hold()
        var configuration = EngineConfiguration()
        configuration.logger = logger
        if let registry { configuration.metricsFactory = PrometheusEndpoint.metricsFactory(registry) }
        return try MailslotService(configuration: configuration, drainingWithin: .milliseconds(drainTimeout))
    }

    /// Runs `engine` (and the metrics endpoint) in a ServiceGroup until the engine stops by
    /// itself or SIGTERM/SIGINT has drained it, then waits for the engine thread's end and
    /// prints `outcome`'s summary; on every path, a failed group included (the engine is then
    /// stopped first). `readyLine` goes to stderr once the signals are caught, so a signal
    /// sent after it always gets the graceful path, and the summary always comes after it.
    ///
    /// Under a service manager (`Type=notify`), `READY=1` follows the ready line, `STOPPING=1`
    /// the signal, and `WATCHDOG=1` goes out every half `WatchdogSec=` once the engine's loop
    /// has answered.
    func run(
        _ engine: MailslotService, registry: PrometheusCollectorRegistry?, readyLine: String, outcome: ServiceOutcome
    ) async throws {
        var failure: (any Error)?
        do { try await runGroup(engine, registry: registry, readyLine: readyLine) } catch {
            failure = error
            engine.engine.requestStop()
        }
        await engine.engine.waitUntilStopped()
        if let summary = outcome.summary { printError(summary) }
        if let failure { throw failure }
        if let error = outcome.error { throw error }
    }

    private func runGroup(_ engine: MailslotService, registry: PrometheusCollectorRegistry?, readyLine: String) async throws {
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let registry, let (host, port) = try metricsAddress() {
            let endpoint = try PrometheusEndpoint(registry: registry, host: host, port: port, logger: logger) { bound in
                printError("metrics \(host):\(bound)")
            }
            services.append(.init(service: endpoint))
        }
        let manager = ServiceManagerNotifier()
        services.append(.init(service: ReadyLine(line: readyLine, manager: manager)))
        if let interval = manager.watchdogInterval {
            services.append(.init(service: Watchdog(engine: engine.engine, manager: manager, interval: interval)))
        }
        // The engine may end by itself (serve's --count or --timeout): the rest then shuts down.
        services.append(.init(service: engine, successTerminationBehavior: .gracefullyShutdownGroup))
        let group = ServiceGroup(configuration: .init(
            services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

/// Prints a line once the group runs (its signals are caught by then) and tells the service
/// manager (`READY=1`); at the signal, tells it `STOPPING=1` as the drain begins.
private struct ReadyLine: Service {
    let line: String
    let manager: ServiceManagerNotifier

    func run() async {
        printError(line)
        manager.notify("READY=1\nSTATUS=\(line)")
        // A signal that came while the service started: the group catches it now.
        EarlySignal.deliver()
        try? await gracefulShutdown()
        manager.notify("STOPPING=1\nSTATUS=draining")
    }
}

/// `WATCHDOG=1` every `interval` (half the manager's `WatchdogSec=`), each only after the
/// engine's loop ran a task: a loop stuck in a callback stops the pings, and the manager
/// restarts the service.
private struct Watchdog: Service {
    let engine: MailslotEngineThread
    let manager: ServiceManagerNotifier
    let interval: Duration

    func run() async {
        while !Task.isShuttingDownGracefully {
            guard (try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }) != nil else { return }
            guard (try? await engine.run { _ in }) != nil else { return }
            manager.notify("WATCHDOG=1")
        }
    }
}

/// How a `serve` or `relay` engine ended: its summary line and its error (serve's read
/// timeout), set on the loop thread as it ends.
final class ServiceOutcome: @unchecked Sendable {
    // Written once by the loop thread before it ends; read after waitUntilStopped(), which
    // returns only once the thread-end handlers have run.
    var summary: String?
    var error: MailslotError?
}

/// The signal a service got before its group caught signals, or 0.
nonisolated(unsafe) private var earlySignal: sig_atomic_t = 0

/// SIGTERM and SIGINT between the engine's start and the service group's own handlers. The
/// engine receives (the relay adopts its socket, a server takes messages) before the group
/// catches signals; a signal in that window used to end the process by the default action:
/// exit 143, no drain and no summary, and what its socket held lost uncounted. Now it is held
/// and raised again once the group catches signals, and takes the graceful path.
enum EarlySignal {
    /// Holds SIGTERM and SIGINT from now on (the group's handlers replace this one).
    static func hold() {
        signal(SIGTERM) { earlySignal = $0 }
        signal(SIGINT) { earlySignal = $0 }
    }

    /// Raises the held signal, if any, for the group's handlers to take.
    static func deliver() {
        let held = earlySignal
        if held != 0 { raise(held) }
    }
}
