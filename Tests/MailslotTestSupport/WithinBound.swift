import Synchronization

/// An async test body that did not finish in time.
public struct DidNotFinish: Error, CustomStringConvertible {
    public let seconds: Double
    public var description: String { "did not finish within \(seconds) s" }
}

/// Runs `body` and throws ``DidNotFinish`` if it has not finished within `seconds`: an await
/// that never resumes (a lost wake-up, a read never decided) fails the test instead of hanging
/// the run. Be generous: in a full parallel run, synchronous tests can hold the two-core
/// machine's cooperative threads for a minute, and these tasks wait for them.
public func withinBound(seconds: Double, _ body: @escaping @Sendable () async throws -> Void) async throws {
    let task = Task { try await body() }
    let once = Mutex(false)
    let finished: Result<Void, any Error>? = await withCheckedContinuation { continuation in
        let resume = { @Sendable (value: Result<Void, any Error>?) in
            if once.withLock({ done in defer { done = true }; return !done }) { continuation.resume(returning: value) }
        }
        Task { resume(await task.result) }
        Task {
            try? await Task.sleep(for: .seconds(seconds))
            resume(nil)
        }
    }
    guard let finished else {
        task.cancel()
        throw DidNotFinish(seconds: seconds)
    }
    try finished.get()
}
