import CLibEv

/// The engine's libev loop and what belongs to the loop alone: running and stopping it, the
/// condition of a run that checks one, the periodic tick, the signal watchers, and the hooks
/// an engine thread sets (its job queue, its end handlers). The mailslots know nothing of it
/// beyond the loop pointer their watchers start on.
final class EventLoop {
    /// The libev loop (its user data is the engine, unretained).
    let loop: OpaquePointer
    private var stopRequested = false
    /// The condition of ``run(checkingEvery:until:)`` while it runs.
    private var runCondition: (() -> Bool)?
    private let tickTimer: LoopTimer
    private var tickHandler: (() -> Void)?
    private var signalWatchers: [UnsafeMutablePointer<ev_signal>] = []
    private var signalHandler: ((Int32) -> Void)?
    /// Runs queued cross-thread jobs (set by ``MailslotEngineThread``).
    var runQueuedJobs: (() -> Void)?
    /// Run on the loop thread when a ``MailslotEngineThread``'s loop has ended.
    private(set) var threadEndHandlers: [() -> Void] = []

    /// Wraps a new libev loop (`ev_loop_new`); `nil` when libev cannot make one.
    init?() {
        guard let loop = ev_loop_new(UInt32(EVFLAG_AUTO)) else { return nil }
        self.loop = loop
        tickTimer = LoopTimer(loop: loop) { EventLoop.of(loop)?.tickHandler?() }
    }

    /// Stops every watcher of its own and destroys the loop (the engine has stopped the rest).
    func destroy() {
        tickTimer.stop()
        for watcher in signalWatchers {
            ev_signal_stop(loop, watcher)
            watcher.deallocate()
        }
        signalWatchers = []
        ev_loop_destroy(loop)
    }

    /// The `EventLoop` of the engine whose loop `loop` is.
    static func of(_ loop: OpaquePointer) -> EventLoop? { MailslotEngine.from(loop).eventLoop }

    /// Runs until ``stop()``; a stop that came first makes it return at once. Clears the
    /// request on return.
    func run() {
        while !stopRequested { ev_run(loop, Int32(EVRUN_ONCE)) }
        stopRequested = false
    }

    /// Runs `running` (the engine's run) with a timer that asks `done` every `interval`
    /// seconds and stops the loop once it holds.
    func run(checkingEvery interval: Double, until done: @escaping () -> Bool, running: () -> Void) {
        let loop = self.loop
        let timer = LoopTimer(loop: loop) {
            guard let control = EventLoop.of(loop) else { return }
            if control.runCondition?() == true { control.stop() }
        }
        runCondition = done
        timer.start(after: max(interval, 0.001), repeating: max(interval, 0.001))
        running()
        timer.stop()
        runCondition = nil
    }

    /// Makes ``run()`` return after the current iteration (or at once, if it is not running).
    func stop() {
        stopRequested = true
        ev_break(loop, Int32(EVBREAK_ONE))
    }

    /// Calls `handler` every `seconds` (`nil` removes it).
    func onTick(every seconds: Double, _ handler: (() -> Void)?) {
        tickTimer.stop()
        tickHandler = handler
        guard handler != nil else { return }
        let interval = max(seconds, 0.001)
        tickTimer.start(after: interval, repeating: interval)
    }

    /// Calls `handler` when one of `signals` arrives (instead of its default action).
    func onSignals(_ signals: [Int32], _ handler: @escaping (Int32) -> Void) {
        for number in signals {
            let watcher = UnsafeMutablePointer<ev_signal>.allocate(capacity: 1)
            CLibEv_signal_init(watcher, { loop, watcher, _ in
                guard let loop, let watcher else { return }
                EventLoop.of(loop)?.signalHandler?(watcher.pointee.signum)
            }, number)
            ev_signal_start(loop, watcher)
            signalWatchers.append(watcher)
        }
        signalHandler = handler
    }

    /// Adds a handler for the end of an engine thread's loop.
    func onThreadEnd(_ handler: @escaping () -> Void) { threadEndHandlers.append(handler) }

    /// Takes the end handlers (each runs once).
    func takeThreadEndHandlers() -> [() -> Void] {
        defer { threadEndHandlers = [] }
        return threadEndHandlers
    }
}
