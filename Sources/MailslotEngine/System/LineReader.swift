import Glibc

/// Reads lines from a file descriptor with a bound on each line's length, so a writer fed by a
/// pipe never holds more than one bounded line in memory (the CLI's `write --stdin`).
public final class LineReader {
    /// One outcome of ``next()``.
    public enum Line: Equatable {
        /// A line (without its newline) of at most the bound.
        case line([UInt8])
        /// A line longer than the bound: its first bytes were read and the rest skipped up to
        /// the next newline; `length` is its full length.
        case tooLong(length: Int)
    }

    private let fd: Int32
    private let maxLength: Int
    private var buffer: [UInt8]
    private var start = 0
    private var end = 0
    private var atEnd = false

    /// Reads from `fd` (standard input by default); lines longer than `maxLength` bytes are
    /// reported, not kept.
    public init(fd: Int32 = 0, maxLength: Int) {
        self.fd = fd
        self.maxLength = max(0, maxLength)
        self.buffer = [UInt8](repeating: 0, count: 64 << 10)
    }

    /// The next line, or `nil` at the end of input (a last line without a newline counts).
    /// - Throws: ``SyscallError`` when reading fails.
    public func next() throws(SyscallError) -> Line? {
        var line: [UInt8] = []
        var length = 0
        while true {
            if start == end {
                if atEnd { return length > 0 ? finish(line, length) : nil }
                try refill()
                continue
            }
            let newline = buffer.withUnsafeBytes { bytes -> Int? in
                guard let found = memchr(bytes.baseAddress! + start, 0x0A, end - start) else { return nil }
                return bytes.baseAddress!.distance(to: UnsafeRawPointer(found))
            }
            let stop = newline ?? end
            let piece = stop - start
            if length + piece <= maxLength { line += buffer[start..<stop] }
            length += piece
            start = newline.map { $0 + 1 } ?? end
            if newline != nil { return finish(line, length) }
        }
    }

    private func finish(_ line: [UInt8], _ length: Int) -> Line {
        length > maxLength ? .tooLong(length: length) : .line(line)
    }

    private func refill() throws(SyscallError) {
        let count = try buffer.withUnsafeMutableBytes { bytes in
            Result { () throws(SyscallError) in try syscallOrThrow("read") { Glibc.read(fd, bytes.baseAddress, bytes.count) } }
        }.get()
        start = 0
        end = count
        if count == 0 { atEnd = true }
    }
}
