/// The stamp at the start of every load message, so an agent can tell which run, step and
/// sender a message belongs to, where it falls in the sequence, and how long it travelled.
///
/// ```
///  offset  size  field
///       0     4  magic "MSLT"
///       4     4  run id              (little-endian)
///       8     2  step
///      10     2  sender
///      12     8  sequence number     (0-based, per step and sender)
///      20     8  send time, ns       (CLOCK_REALTIME)
///      28     …  padding up to the payload size (zeros)
/// ```
public struct LoadStamp: Hashable, Sendable {
    /// The bytes every stamp starts with.
    public static let magic: [UInt8] = Array("MSLT".utf8)
    /// Bytes a stamp takes; payloads are at least this long.
    public static let size = 28

    /// The run (random per coordinator start).
    public var run: UInt32
    /// The step of the run (1-based; 0 is discovery).
    public var step: UInt16
    /// Which coordinator sent it (0 with one coordinator).
    public var sender: UInt16
    /// Its place in the step's sequence.
    public var sequence: UInt64
    /// When it was sent, in nanoseconds of the real-time clock.
    public var sentNanoseconds: UInt64

    /// A stamp from its fields.
    public init(run: UInt32, step: UInt16, sender: UInt16, sequence: UInt64, sentNanoseconds: UInt64) {
        self.run = run
        self.step = step
        self.sender = sender
        self.sequence = sequence
        self.sentNanoseconds = sentNanoseconds
    }

    /// Writes the stamp at the start of `buffer` (at least ``size`` bytes).
    public func write(into buffer: UnsafeMutableRawBufferPointer) {
        precondition(buffer.count >= Self.size, "a load message holds at least \(Self.size) bytes")
        buffer.copyBytes(from: Self.magic)
        buffer.storeBytes(of: run.littleEndian, toByteOffset: 4, as: UInt32.self)
        buffer.storeBytes(of: step.littleEndian, toByteOffset: 8, as: UInt16.self)
        buffer.storeBytes(of: sender.littleEndian, toByteOffset: 10, as: UInt16.self)
        buffer.storeBytes(of: sequence.littleEndian, toByteOffset: 12, as: UInt64.self)
        buffer.storeBytes(of: sentNanoseconds.littleEndian, toByteOffset: 20, as: UInt64.self)
    }

    /// Reads a stamp; `nil` when `message` is not a load message.
    public init?(_ message: RawSpan) {
        guard message.byteCount >= Self.size, message.littleEndian(UInt32.self, at: 0) == 0x544C_534D else { return nil }  // "MSLT"
        run = message.littleEndian(UInt32.self, at: 4)
        step = message.littleEndian(UInt16.self, at: 8)
        sender = message.littleEndian(UInt16.self, at: 10)
        sequence = message.littleEndian(UInt64.self, at: 12)
        sentNanoseconds = message.littleEndian(UInt64.self, at: 20)
    }
}

/// What the coordinator tells every agent (a domain broadcast to the agents' mailslot, like the
/// load itself): find yourselves, or a step is over and its report is due.
///
/// ```
///  offset  size  field
///       0     4  magic "MSLC"
///       4     4  run id              (little-endian)
///       8     2  step
///      10     1  kind                (1 hello, 2 end of step)
///      11     1  zero
///      12     8  messages sent in the step (0 for hello)
/// ```
/// Agents answer by a unicast mailslot write to the sender's ``LoadProtocol/reportMailslot``.
public struct ControlMessage: Hashable, Sendable {
    /// The bytes every control message starts with.
    public static let magic: [UInt8] = Array("MSLC".utf8)
    /// Bytes a control message takes.
    public static let size = 20

    /// What the coordinator asks.
    public enum Kind: UInt8, Sendable {
        /// Agents answer with a hello report (discovery).
        case hello = 1
        /// The step's traffic is over: agents report it.
        case endOfStep = 2
    }

    /// The run.
    public var run: UInt32
    /// The step (0 for hello).
    public var step: UInt16
    /// What is asked.
    public var kind: Kind
    /// Messages the coordinator sent in the step.
    public var sent: UInt64

    /// A control message from its fields.
    public init(run: UInt32, step: UInt16, kind: Kind, sent: UInt64) {
        self.run = run
        self.step = step
        self.kind = kind
        self.sent = sent
    }

    /// The message's bytes.
    public var bytes: [UInt8] {
        var bytes = Self.magic
        withUnsafeBytes(of: run.littleEndian) { bytes += $0 }
        withUnsafeBytes(of: step.littleEndian) { bytes += $0 }
        bytes += [kind.rawValue, 0]
        withUnsafeBytes(of: sent.littleEndian) { bytes += $0 }
        return bytes
    }

    /// Reads a control message; `nil` when `message` is not one.
    public init?(_ message: RawSpan) {
        guard message.byteCount >= Self.size, message.littleEndian(UInt32.self, at: 0) == 0x434C_534D,  // "MSLC"
            let kind = Kind(rawValue: message.littleEndian(UInt8.self, at: 10))
        else { return nil }
        run = message.littleEndian(UInt32.self, at: 4)
        step = message.littleEndian(UInt16.self, at: 8)
        self.kind = kind
        sent = message.littleEndian(UInt64.self, at: 12)
    }
}

/// The names both sides agree on.
public enum LoadProtocol {
    /// The agents' mailslot, which the load and control messages are written to.
    public static let agentMailslot = "loadtest"
    /// The coordinator's mailslot for reports, as agents address it (`\MAILSLOT\…`).
    public static let reportMailslot = "\\MAILSLOT\\LOADTEST\\REPORT"
    /// The same, as the coordinator creates it.
    public static let reportMailslotLocal = "\\\\.\\mailslot\\loadtest\\report"
}

extension RawSpan {
    /// The little-endian integer at `offset` (any alignment); the caller checked the length.
    @inline(__always) func littleEndian<T: FixedWidthInteger & BitwiseCopyable>(_: T.Type, at offset: Int) -> T {
        T(littleEndian: unsafeLoadUnaligned(fromByteOffset: offset, as: T.self))
    }
}
