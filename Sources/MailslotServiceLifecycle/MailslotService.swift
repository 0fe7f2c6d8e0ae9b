import MailslotEngine
import ServiceLifecycle

/// A mailslot engine as a swift-service-lifecycle `Service`: its ``run()`` holds the engine
/// thread's life, and a graceful shutdown delivers what the mailslots already received before
/// they close.
///
/// ```swift
/// let mailslots = try MailslotService(drainingWithin: .seconds(5))
/// let group = ServiceGroup(configuration: .init(
///     services: [mailslots, consumer],            // dependencies first, as usual
///     gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
/// try await group.run()
/// ```
///
/// A `ServiceGroup` shuts its services down in reverse order, so consumers listed after the
/// engine go first: a consumer that reads with
/// ``/MailslotEngine/AsyncMailslotServer``'s `consumeUntilGracefulShutdown`
/// closes its mailslot once what it received has reached it, and returns. The engine then
/// drains whatever is left (mailslots with callbacks or reads of their own) and stops.
///
/// - ``run()`` returns once the engine thread has ended, whoever ended it: a graceful
///   shutdown (drain, then close), cancellation (close at once), or the engine's own
///   ``/MailslotEngine/MailslotEngine/stop()`` from a callback.
/// - Messages the drain could not deliver within its bound are counted as closed-unread
///   (`DropCounters.closedUnread`); writers see server-gone after the close.
public final class MailslotService: Service, Sendable {
    /// The engine thread: create mailslots and run work on it.
    public let engine: MailslotEngineThread
    /// How long a graceful shutdown may spend delivering what was already received.
    public let drainBound: Duration

    /// Starts the engine thread (it serves as soon as mailslots exist; ``run()`` decides when
    /// it ends).
    /// - Throws: `MailslotError.systemLimit` when the thread or loop cannot start.
    public init(configuration: EngineConfiguration = EngineConfiguration(), drainingWithin bound: Duration = .seconds(5))
        throws(MailslotError)
    {
        engine = try MailslotEngineThread(configuration: configuration)
        drainBound = bound
    }

    /// Runs until the engine thread ends; graceful shutdown drains (within ``drainBound``),
    /// cancellation stops at once.
    public func run() async {
        let engine = self.engine
        let bound = drainBound
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await engine.waitUntilStopped()
            } onGracefulShutdown: {
                engine.requestStop(drainingWithin: bound)
            }
        } onCancel: {
            engine.requestStop()
        }
    }
}
