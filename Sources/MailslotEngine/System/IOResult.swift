/// The result of a non-blocking operation: done, or it would have blocked.
public enum IOResult<Value> {
    /// The operation completed with this value.
    case processed(Value)
    /// The operation would block (`EAGAIN`/`EWOULDBLOCK`); try again when ready.
    case wouldBlock
}
