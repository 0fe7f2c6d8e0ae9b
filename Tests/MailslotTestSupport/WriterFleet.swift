import Glibc

/// Writer processes for load tests: each runs `mailslot write NAME --stdin --wait MS` fed by
/// `seq`, so writer `k` sends the lines `"<tag k> 1"` … `"<tag k> N"` in order.
public final class WriterFleet {
    /// The tags, one per writer (`A`, `B`, …).
    public let tags: [String]
    /// Messages each writer sends.
    public let perWriter: Int
    private let children: [ChildProcess]

    /// Starts `writers` writer processes at once.
    public init(mailslot path: String, writers: Int, perWriter: Int, waitMilliseconds: Int = 120_000) throws {
        self.perWriter = perWriter
        tags = (0..<writers).map { String(UnicodeScalar(UInt8(65 + $0))) }
        children = try tags.map { tag in
            try ChildProcess(
                "/bin/sh",
                ["-c", "seq 1 \"$2\" | sed \"s/^/$1 /\" | exec \"$0\" write \"$3\" --stdin --wait \"$4\"",
                 MailslotBinary.path, tag, String(perWriter), path, String(waitMilliseconds)])
        }
    }

    /// Waits for every writer; returns their exit codes and stderr.
    public func waitForAll(timeout: Double = 300) -> [(code: Int32?, stderr: String)] {
        children.map { child in (child.waitForExit(timeout: timeout), child.standardError) }
    }

    /// Checks messages in arrival order: every writer's messages all arrived, exactly once, in
    /// the order sent. - Returns: a description of the first violation, or `nil`.
    public func violation(in messages: some Sequence<Substring>) -> String? {
        var next = [String: Int]()
        for tag in tags { next[tag] = 1 }
        var count = 0
        for message in messages {
            count += 1
            let parts = message.split(separator: " ")
            guard parts.count == 2, let expected = next[String(parts[0])], let number = Int(parts[1]) else {
                return "message \(count) is not a writer's line: \(message.prefix(80))"
            }
            guard number == expected else {
                return "writer \(parts[0]): message \(number) arrived where \(expected) was next"
            }
            next[String(parts[0])] = expected + 1
        }
        for tag in tags where next[tag] != perWriter + 1 {
            return "writer \(tag): \((next[tag] ?? 1) - 1) of \(perWriter) messages arrived"
        }
        return nil
    }
}

/// Reads a whole file as lines (for a server's output written to a file).
public func readLines(of path: String) -> [Substring] {
    guard let file = fopen(path, "r") else { return [] }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 20)
    while true {
        let count = fread(&chunk, 1, chunk.count, file)
        if count <= 0 { break }
        bytes += chunk[0..<count]
    }
    return String(decoding: bytes, as: UTF8.self).split(separator: "\n")
}
