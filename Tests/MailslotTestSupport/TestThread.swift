import Glibc

/// A real thread for tests that must not depend on the cooperative pool (whose threads other,
/// blocking tests may hold): runs `body` at once, `join()` waits for it.
public final class TestThread: @unchecked Sendable {
    private var thread = pthread_t()
    private let body: () -> Void

    /// Starts `body` on a new thread.
    public init(_ body: @escaping @Sendable () -> Void) {
        self.body = body
        let context = Unmanaged.passRetained(self).toOpaque()
        let status = pthread_create(&thread, nil, { context in
            let owner = Unmanaged<TestThread>.fromOpaque(context!).takeRetainedValue()
            owner.body()
            return nil
        }, context)
        precondition(status == 0, "pthread_create failed: \(status)")
    }

    /// Waits for the thread to end.
    public func join() {
        pthread_join(thread, nil)
    }

    /// Lets the thread end on its own (nobody will join it).
    public func detach() {
        pthread_detach(thread)
    }

    /// Runs blocking `body` (waiting for a process, a compiler) on a thread of its own and
    /// awaits it, so the pool's threads (one per core) stay free for the other suites.
    public static func await<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            TestThread { continuation.resume(with: Result { try body() }) }.detach()
        }
    }
}
