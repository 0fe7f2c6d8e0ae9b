import MailslotCore

/// When the engine stops or closes mailslots gracefully: the bound of an engine-wide drain
/// (``MailslotEngine/stopWhenDrained(within:)``), the mailslots waiting to close once drained,
/// and the timer that looks at them every ``checkInterval`` seconds. Its state is its own; the
/// engine tells it what is left to deliver and does the closing and the stopping.
final class DrainSchedule {
    /// How often a drain looks whether it is done, in seconds.
    static let checkInterval = 0.002

    /// When the engine's drain must end, and when it began (monotonic seconds).
    private var deadline: Double?
    private var started: Double?
    /// Mailslots to close once drained, with their deadlines.
    private var closing: [SlotHandle: Double] = [:]
    private let timer: LoopTimer

    /// A schedule whose timer runs `check` on `loop`.
    init(loop: OpaquePointer, check: @escaping () -> Void) {
        timer = LoopTimer(loop: loop, check)
    }

    /// `true` while an engine-wide drain is under way.
    var isDraining: Bool { deadline != nil }

    /// Starts (or shortens) an engine-wide drain bounded at `seconds` from `now`.
    func drainEngine(within seconds: Double, now: Double) {
        let bound = now + max(0, seconds)
        deadline = min(deadline ?? bound, bound)
        started = started ?? now
        timer.start(after: 0, repeating: Self.checkInterval)
    }

    /// Schedules `handle` to close once drained, or at `seconds` from `now`.
    func close(_ handle: SlotHandle, within seconds: Double, now: Double) {
        let bound = now + max(0, seconds)
        closing[handle] = min(closing[handle] ?? bound, bound)
        timer.start(after: 0, repeating: Self.checkInterval)
    }

    /// One look, at `now`: returns the mailslots to close now (`isDrained` says they hold
    /// nothing, or their bound passed; `nil` from it means the handle is gone), and whether the
    /// engine's drain ends (`engineLeft` counts what is left, or only whether anything is while
    /// the bound has not passed) with how long it took and what was left.
    func look(
        now: Double, isDrained: (SlotHandle) -> Bool?, engineLeft: (_ stoppingAtFirst: Bool) -> Int
    ) -> (closeNow: [SlotHandle], finished: (milliseconds: Int, left: Int)?) {
        var closeNow: [SlotHandle] = []
        for (handle, bound) in closing {
            guard let drained = isDrained(handle) else {
                closing[handle] = nil
                continue
            }
            guard now >= bound || drained else { continue }
            closing[handle] = nil
            closeNow.append(handle)
        }
        var finished: (Int, Int)?
        if let deadline {
            // Until the bound, stop at the first mailslot with something left (no system call
            // for the thousands after it); at the bound, count it all for the log.
            let left = engineLeft(now < deadline)
            if left == 0 || now >= deadline {
                finished = (Int((now - (started ?? now)) * 1000), left)
                self.deadline = nil
                started = nil
            }
        }
        if deadline == nil && closing.isEmpty { timer.stop() }
        return (closeNow, finished)
    }

    /// Stops the timer (the engine is going).
    func stop() { timer.stop() }
}
