import MailslotEngine
import ServiceLifecycle

/// Reading a mailslot's stream in a service that shuts down gracefully.
extension AsyncMailslotServer {
    /// Takes the mailslot's messages through its stream (see ``/MailslotEngine/AsyncMailslotServer/messages(buffer:whenFull:)``)
    /// until the calling service's graceful shutdown. Then the mailslot closes once what it
    /// already received has reached `body` (or after `bound`), the stream ends and this returns.
    /// Cancelling the task ends it at once; what was not taken stays counted.
    ///
    /// ```swift
    /// struct Consumer: Service {
    ///     let mailslots: MailslotService
    ///     func run() async throws {
    ///         let slot = try await mailslots.engine.createMailslot(named: #"\\.\mailslot\jobs"#)
    ///         try await slot.consumeUntilGracefulShutdown { message in handle(message) }
    ///     }
    /// }
    /// ```
    public func consumeUntilGracefulShutdown(
        buffer: Int = 1024, whenFull: MailslotMessages.WhenFull = .pushBack, drainingWithin bound: Duration = .seconds(5),
        _ body: (MailslotMessage) async throws -> Void
    ) async throws {
        let stream = try await messages(buffer: buffer, whenFull: whenFull)
        try await withGracefulShutdownHandler {
            for await message in stream { try await body(message) }
        } onGracefulShutdown: {
            close(drainingWithin: bound)
        }
    }
}
