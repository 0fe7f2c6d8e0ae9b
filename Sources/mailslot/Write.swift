import ArgumentParser
import Glibc
import MailslotEngine

/// `mailslot write`: send messages to a mailslot.
struct Write: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write messages to a mailslot: each MESSAGE argument, or each stdin line, is one message.",
        discussion: "On failure exits 1 with a one-line error naming the condition and its Win32 code."
    )

    @Argument(help: "The target: 'x', \\\\.\\mailslot\\x, \\\\computer\\mailslot\\x, \\\\domain\\mailslot\\x or \\\\*\\mailslot\\x.")
    var target: String

    @Argument(help: "Messages to write, one message each.")
    var messages: [String] = []

    @Flag(help: "Read messages from stdin, one per line.")
    var stdin = false

    @Flag(help: "Messages are hex strings (e.g. 48690a).")
    var hex = false

    @Option(help: "Wait up to this many milliseconds for room when the server's queue is full (default: fail at once).")
    var wait: Int?

    @Flag(help: "Write by socket even when the mailslot offers a shared-memory ring.")
    var socketOnly = false

    @Option(help: "Write only if this user (a uid, a name, or 'self') owns the local mailslot; otherwise fail with ERROR_ACCESS_DENIED (another user may have taken the name first).")
    var owner: String?

    @OptionGroup var network: NetworkOptions

    @Flag(help: ArgumentHelp("Fault injection: claim a shared-memory record, say 'claimed' on stderr, and never commit it.", visibility: .hidden))
    var debugStallMidWrite = false

    @Option(help: ArgumentHelp("Fault injection: write random bytes all over the shared-memory ring for this many seconds.", visibility: .hidden))
    var debugScribble: Double?

    @Option(help: ArgumentHelp("Write to TARGET0 ... TARGET<N-1> instead of TARGET (load tests).", visibility: .hidden))
    var fanOut: Int?

    func run() throws {
        if let fanOut, fanOut <= 0 { throw ValidationError("--fan-out must be positive") }
        if fanOut != nil, stdin { throw ValidationError("--fan-out cannot be combined with --stdin") }
        var sent = 0
        try reportingFailures(afterFailure: { stdin ? "\(sent) messages were sent before the failure" : nil }) {
            if let wait, wait < 0 {
                throw CLIFailure(.invalidParameter("--wait takes milliseconds, 0 or more, not \(wait)"))
            }
            let payloads = try messages.map(payload)
            let targets = fanOut.map { count in (0..<count).map { target + String($0) } } ?? [target]
            if debugStallMidWrite || debugScribble != nil {
                let client = try MailslotClient(try parseName(target))
                guard client.usesSharedMemory else { throw CLIFailure(.invalidParameter("the mailslot gave no shared-memory ring")) }
                if let debugScribble { return client._debugScribble(seconds: debugScribble) }
                client._debugClaimWithoutCommit(length: 8) { printError("claimed") }
            }
            var client: MailslotClient?
            for name in targets {
                let parsed = try parseName(name)
                client = try MailslotClient(
                    parsed, network: parsed.scope == .local ? nil : try network.configuration(), sharedMemory: !socketOnly,
                    requiredOwner: try owner.map { $0 == "self" ? geteuid() : try UserID.uid($0) })
                for bytes in payloads {
                    try send(bytes, with: client!)
                    sent += 1
                }
            }
            if stdin, let client {
                try sendLines(with: client) { sent += 1 }
            }
        }
    }

    /// Sends each stdin line as one message. A line is read with a bound of the mailslot's
    /// limit + 1 bytes (twice that, plus spaces, for hex), so a huge line is refused without
    /// being held in memory.
    private func sendLines(with client: MailslotClient, onSent: () -> Void) throws {
        let limit = client.messageLimit
        let reader = LineReader(maxLength: hex ? 3 * limit + 1 : limit + 1)
        while true {
            let next: LineReader.Line?
            do { next = try reader.next() } catch { throw CLIFailure(.system(syscall: error.syscall, errno: error.errno)) }
            switch next {
            case nil:
                return
            case .line(let bytes)?:
                // A line is bytes, whatever its encoding: sent as read (hex-decoded with --hex).
                try send(hex ? try Self.decodeHex(bytes) : bytes, with: client)
                onSent()
            case .tooLong(let length)?:
                throw CLIFailure(.messageTooLarge(size: hex ? length / 2 : length, limit: limit))
            }
        }
    }

    /// The bytes of one MESSAGE argument (hex-decoded with `--hex`).
    private func payload(_ text: String) throws -> [UInt8] {
        try hex ? Self.decodeHex(Array(text.utf8)) : Array(text.utf8)
    }

    /// One write, waiting for room when `--wait` asks for it.
    private func send(_ bytes: [UInt8], with client: MailslotClient) throws {
        try bytes.withUnsafeBytes { buffer in
            if let wait {
                try client.write(buffer, waitingUpTo: wait)
            } else {
                try client.write(buffer)
            }
        }
    }

    static func decodeHex(_ text: [UInt8]) throws -> [UInt8] {
        let digits = text.filter { $0 != 0x20 }
        guard digits.count % 2 == 0 else {
            throw CLIFailure(.invalidParameter("hex message has an odd number of digits"))
        }
        var bytes: [UInt8] = []
        var index = 0
        while index < digits.count {
            guard let high = nibble(digits[index]), let low = nibble(digits[index + 1]) else {
                throw CLIFailure(.invalidParameter("'\(String(decoding: text, as: UTF8.self))' is not hex"))
            }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case 0x30...0x39: digit - 0x30
        case 0x61...0x66: digit - 0x61 + 10
        case 0x41...0x46: digit - 0x41 + 10
        default: nil
        }
    }
}
