import CLibEv

/// A libev timer owned by one part of the engine: the one set-up path for the engine's
/// timers. Its `ev_timer` lives in memory allocated once, at an address that never moves
/// (libev keeps it while the timer runs); the callback finds its owner through the watcher's
/// `data` and runs `action`.
///
/// Stop it before its loop is destroyed: the engine stops its timers before `ev_loop_destroy`;
/// a timer that goes while still running stops itself first.
final class LoopTimer {
    private let loop: OpaquePointer
    private let watcher: UnsafeMutablePointer<ev_timer>
    private let action: () -> Void

    /// A stopped timer on `loop` that runs `action` on the loop thread when it fires. `action`
    /// must not capture its owner strongly (the owner holds the timer).
    init(loop: OpaquePointer, _ action: @escaping () -> Void) {
        self.loop = loop
        self.action = action
        watcher = .allocate(capacity: 1)
        CLibEv_timer_init(watcher, { _, timer, _ in
            guard let timer, let owner = CLibEv_timer_data(timer) else { return }
            Unmanaged<LoopTimer>.fromOpaque(owner).takeUnretainedValue().action()
        }, 0, 0)
        CLibEv_timer_set_data(watcher, Unmanaged.passUnretained(self).toOpaque())
    }

    deinit {
        if isActive { ev_timer_stop(loop, watcher) }
        watcher.deallocate()
    }

    /// (Re)starts it: it fires after `seconds`, then every `interval` seconds (`0`: once).
    func start(after seconds: Double, repeating interval: Double = 0) {
        ev_timer_stop(loop, watcher)
        CLibEv_timer_set(watcher, max(0, seconds), max(0, interval))
        ev_timer_start(loop, watcher)
    }

    /// Stops it (nothing happens if it is not running).
    func stop() {
        ev_timer_stop(loop, watcher)
    }

    /// `true` while it is running.
    var isActive: Bool { CLibEv_timer_is_active(watcher) != 0 }
}
