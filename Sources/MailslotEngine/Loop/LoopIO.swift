import CLibEv

/// A libev I/O watcher owned by one part of the engine: the one set-up path for the engine's
/// `ev_io` watchers (each mailslot's socket, a shared-memory ring's eventfd, the datagram
/// service's socket and its outbox). Its `ev_io` lives in memory allocated once, at an address
/// that never moves (libev keeps it while the watcher runs); the callback finds its owner
/// through the watcher's `data` and runs `action` with the loop and the watcher's `tag`.
///
/// `action` should capture nothing (a slot number in `tag` and the engine from the loop, see
/// ``MailslotEngine/from(_:)``): a closure without captures costs no allocation, and a watcher
/// per mailslot stays at two small blocks.
///
/// Stop it before its loop is destroyed; one that goes while still running stops itself first.
final class LoopIO {
    private let loop: OpaquePointer
    private let watcher: UnsafeMutablePointer<ev_io>
    /// What the watcher stands for (a slot number, say), handed to `action`.
    let tag: Int
    private let action: (OpaquePointer, Int) -> Void

    /// A stopped watcher on `loop` for `events` (`EV_READ`, `EV_WRITE`) on `fd`, which runs
    /// `action(loop, tag)` on the loop thread when `fd` is ready.
    init(loop: OpaquePointer, fd: Int32, events: Int32 = Int32(EV_READ), tag: Int = 0, _ action: @escaping (OpaquePointer, Int) -> Void) {
        self.loop = loop
        self.tag = tag
        self.action = action
        watcher = .allocate(capacity: 1)
        CLibEv_io_init(watcher, { loop, io, _ in
            guard let loop, let io, let owner = CLibEv_io_data(io) else { return }
            let watcher = Unmanaged<LoopIO>.fromOpaque(owner).takeUnretainedValue()
            watcher.action(loop, watcher.tag)
        }, fd, events)
        CLibEv_io_set_data(watcher, Unmanaged.passUnretained(self).toOpaque())
    }

    deinit {
        if isActive { ev_io_stop(loop, watcher) }
        watcher.deallocate()
    }

    /// Starts it (nothing happens if it runs already).
    func start() {
        ev_io_start(loop, watcher)
    }

    /// Stops it (nothing happens if it is not running).
    func stop() {
        ev_io_stop(loop, watcher)
    }

    /// `true` while it is running.
    var isActive: Bool { CLibEv_io_is_active(watcher) != 0 }
}
