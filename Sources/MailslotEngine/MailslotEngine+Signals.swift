import Glibc

// Signal watchers, so a program embedding the engine can stop cleanly on SIGINT/SIGTERM.
extension MailslotEngine {
    /// Calls `handler` on the loop thread when one of `signals` arrives (instead of the default
    /// action). Only one engine per process may watch a given signal.
    public func onSignals(_ signals: [Int32], _ handler: @escaping (Int32) -> Void) {
        eventLoop.onSignals(signals, handler)
    }
}
