import MailslotCore

/// The engine's waiting reads that are not a mailslot's own business: their deadlines (one
/// heap, one timer for all of them), and the completions decided while another completion
/// runs (run one after another, never one inside another). Its state is its own; the engine
/// decides which read gets which message.
final class PendingReads {
    /// Waiting reads with a deadline, earliest first (finished ones skipped when they surface).
    private var deadlines = DeadlineHeap<PendingRead>()
    /// Completions decided while another completion runs (see ``complete(_:_:)``).
    private var ready = FIFOQueue<(PendingRead, Result<([UInt8], MessageOrigin?), MailslotError>)>()
    /// `true` while completions run.
    private var running = false
    /// Fires at the earliest deadline, or when a blocking read's wait is up.
    private let timer: LoopTimer

    /// Reads whose timer runs `expire` on `loop` when a deadline (or a wait) is up.
    init(loop: OpaquePointer, expire: @escaping () -> Void) {
        timer = LoopTimer(loop: loop, expire)
    }

    /// Finishes `read` with `result`, unless it was decided already. A completion that comes
    /// while another runs is queued and run by the outer call, in order.
    func complete(_ read: PendingRead, _ result: Result<([UInt8], MessageOrigin?), MailslotError>) {
        guard read.decide() else { return }
        ready.append((read, result))
        guard !running else { return }
        running = true
        defer { running = false }
        while let (read, result) = ready.popFirst() { read.finish(result) }
    }

    /// Makes `read` fail at `deadline` (monotonic seconds) unless it completes first.
    func schedule(_ read: PendingRead, at deadline: Double, now: Double) {
        deadlines.insert(read, at: deadline)
        arm(now: now)
    }

    /// The next read whose deadline passed by `now`, if any.
    func popExpired(now: Double) -> PendingRead? {
        deadlines.popDue(now: now)
    }

    /// Sets the timer for the earliest deadline still pending (or stops it).
    func arm(now: Double) {
        while let first = deadlines.first, !first.item.isPending { deadlines.removeFirst() }
        guard let earliest = deadlines.earliest else { return timer.stop() }
        timer.start(after: earliest - now)
    }

    /// Wakes the loop after `seconds` (a blocking read's wait); ``arm(now:)`` afterwards.
    func wake(after seconds: Double) {
        timer.start(after: seconds)
    }

    /// Reads waiting on a deadline (finished ones not yet skipped included).
    var scheduledCount: Int { deadlines.count }

    /// Stops the timer (the engine is going).
    func stop() { timer.stop() }
}
