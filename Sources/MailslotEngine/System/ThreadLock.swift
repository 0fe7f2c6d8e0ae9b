import Glibc

/// A value guarded by a `pthread_mutex_t`, for the few places threads meet (the engine
/// thread's jobs, message streams, cancellable reads).
///
/// Not `Synchronization.Mutex`: on Linux its lock is invisible to ThreadSanitizer, which then
/// reports every access it guards as a race; a pthread mutex is intercepted, so the sanitizer
/// runs check these hand-overs for real.
package final class ThreadLock<Value>: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t> = .allocate(capacity: 1)
    private var value: Value

    package init(_ value: Value) {
        self.value = value
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Takes the lock for a `fork()` (a `pthread_atfork` prepare handler), so no other thread
    /// holds it when the process is copied.
    package func lockForFork() {
        pthread_mutex_lock(mutex)
    }

    /// Releases ``lockForFork()`` in the parent and in the child (their atfork handlers).
    package func unlockAfterFork() {
        pthread_mutex_unlock(mutex)
    }

    /// Runs `body` with the value, holding the lock.
    package func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
