import CLibEv

/// A libev `ev_prepare` watcher owned by one part of the engine: runs `action` once per loop
/// iteration, just before the loop blocks, while it is started. Like ``LoopTimer``, its watcher
/// lives in memory allocated once and finds its owner through the watcher's `data`.
final class LoopPrepare {
    private let loop: OpaquePointer
    private let watcher: UnsafeMutablePointer<ev_prepare>
    private let action: () -> Void

    /// A stopped watcher on `loop` (`action` must not capture its owner strongly).
    init(loop: OpaquePointer, _ action: @escaping () -> Void) {
        self.loop = loop
        self.action = action
        watcher = .allocate(capacity: 1)
        CLibEv_prepare_init(watcher, { _, prepare, _ in
            guard let prepare, let owner = CLibEv_prepare_data(prepare) else { return }
            Unmanaged<LoopPrepare>.fromOpaque(owner).takeUnretainedValue().action()
        })
        CLibEv_prepare_set_data(watcher, Unmanaged.passUnretained(self).toOpaque())
    }

    deinit {
        if CLibEv_prepare_is_active(watcher) != 0 { ev_prepare_stop(loop, watcher) }
        watcher.deallocate()
    }

    /// Runs `action` before each time the loop blocks, from now on.
    func start() { ev_prepare_start(loop, watcher) }

    /// Stops it (nothing happens if it is not running).
    func stop() { ev_prepare_stop(loop, watcher) }
}
