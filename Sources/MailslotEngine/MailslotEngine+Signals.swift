import CLibEv
import Glibc

// Signal watchers, so a program embedding the engine can stop cleanly on SIGINT/SIGTERM.
extension MailslotEngine {
    /// Calls `handler` on the loop thread when one of `signals` arrives (instead of the default
    /// action). Only one engine per process may watch a given signal.
    public func onSignals(_ signals: [Int32], _ handler: @escaping (Int32) -> Void) {
        for number in signals {
            let watcher = UnsafeMutablePointer<ev_signal>.allocate(capacity: 1)
            CLibEv_signal_init(watcher, { loop, watcher, _ in
                guard let loop, let watcher else { return }
                MailslotEngine.from(loop).signalHandler?(watcher.pointee.signum)
            }, number)
            ev_signal_start(loop, watcher)
            signalWatchers.append(watcher)
        }
        signalHandler = handler
    }
}
