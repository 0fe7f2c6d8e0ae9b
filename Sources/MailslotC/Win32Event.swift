import MailslotEngine

/// A Win32 event object (`CreateEventA`): signalled or not, reset by hand or by the wait
/// that sees it signalled.
///
/// The state lives in memory; a descriptor for `poll` (a ``WaitableFlag``) is made only when
/// a wait needs one, so a program that leaks events it never waits on (as Microsoft's reader
/// sample does) costs no descriptors. Named events are this process's: a second create of
/// the name returns a new handle to the same object.
final class Win32Event: @unchecked Sendable {
    private struct State {
        var signalled: Bool
        var flag: WaitableFlag?
    }

    /// `true`: stays signalled until ``reset()``; `false`: a wait that sees it clears it.
    let manualReset: Bool
    private let state: ThreadLock<State>

    init(manualReset: Bool, initiallySignalled: Bool) {
        self.manualReset = manualReset
        state = ThreadLock(State(signalled: initiallySignalled, flag: nil))
    }

    /// `SetEvent`.
    func set() {
        state.withLock { state in
            state.signalled = true
            state.flag?.set()
        }
    }

    /// `ResetEvent`.
    func reset() {
        state.withLock { state in
            state.signalled = false
            state.flag?.clear()
        }
    }

    /// `true` while signalled (a wait for all objects looks first, then takes).
    var isSignalled: Bool { state.withLock { $0.signalled } }

    /// What a satisfied wait does: `true` when signalled, and an auto-reset event is cleared
    /// (so exactly one waiter wins it).
    func take() -> Bool {
        state.withLock { state in
            guard state.signalled else { return false }
            if !manualReset {
                state.signalled = false
                state.flag?.clear()
            }
            return true
        }
    }

    /// A descriptor readable while signalled, made on first use.
    func descriptor() throws(MailslotError) -> Int32 {
        let made: Result<Int32, MailslotError> = state.withLock { state in
            if let flag = state.flag { return .success(flag.descriptor) }
            return Result { () throws(MailslotError) in
                let flag = try WaitableFlag(set: state.signalled)
                state.flag = flag
                return flag.descriptor
            }
        }
        return try made.get()
    }

    /// In a forked child: the descriptor is the parent's too (a set here would wake the
    /// parent's waits), so the child makes its own on next use.
    func detachAfterFork() {
        state.withLock { $0.flag = nil }
    }
}
