import Glibc

/// An open file descriptor that this code owns, closed exactly once.
///
/// The type is not copyable, so there is only ever one owner: closing is consuming (``close()``),
/// and an owner that goes out of scope without handing the descriptor on closes it then. A
/// second close of the same number, which would close whatever descriptor the kernel has
/// reused it for (the double closes found in the registry's publish and a test's pipe), cannot
/// be written. Code that passes the number to a call borrows it through ``rawValue``;
/// ``release()`` hands ownership to someone else (another process, libev, a caller that
/// keeps raw descriptors) and disarms the close.
struct Descriptor: ~Copyable {
    /// The descriptor's number, for calls that borrow it.
    let rawValue: Int32

    /// Takes ownership of `fd` (a descriptor this code just opened or received).
    init(owning fd: Int32) {
        rawValue = fd
    }

    /// Closes the descriptor now. Consuming: nothing can use or close it afterwards.
    consuming func close() {
        system_close(rawValue)
        discard self
    }

    /// Gives the number away without closing it: the receiver owns it now.
    consuming func release() -> Int32 {
        let fd = rawValue
        discard self
        return fd
    }

    deinit {
        system_close(rawValue)
    }
}
