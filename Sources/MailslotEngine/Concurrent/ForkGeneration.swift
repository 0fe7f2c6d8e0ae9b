import Glibc
import Synchronization

/// Which process this is, in forks: 0 in the process that started, one more in each child
/// `fork()` made since (a `pthread_atfork` child handler counts them).
///
/// Objects that belong to the process that made them (a server's engine, the handle table's
/// servers) compare generations instead of calling `getpid()`, which is a system call on every
/// read: one atomic load tells a forked child from its parent.
package enum ForkGeneration {
    private static let counter = Atomic<UInt64>(0)
    private static let registered: Bool = {
        pthread_atfork(nil, nil) { ForkGeneration.counter.add(1, ordering: .relaxed) }
        return true
    }()

    /// This process's generation.
    package static var current: UInt64 {
        _ = registered
        return counter.load(ordering: .relaxed)
    }
}
