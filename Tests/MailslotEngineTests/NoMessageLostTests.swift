import Glibc
@testable import MailslotEngine
import MailslotTestSupport
import Testing

/// The promise under load, across real processes: a million messages from two writer processes
/// with `--wait` are all delivered, in order per writer, through `serve` and through every
/// synchronous read API, with no crash and an exact summary. `serve`'s other output formats and
/// the async reads (whose cost is the test's own parsing and task hops, not the engine's) take
/// a tenth and a fifth of that: the same paths, without minutes of a debug build's time.
@Suite("No message lost, no crash", .serialized, .timeLimit(.minutes(10)))
struct NoMessageLostTests {
    static let total = 1_000_000

    @Test("serve takes 1,000,000 messages (text; 100,000 in hex and json) from 2 writer processes with --wait, in order, summary exact",
          arguments: [("text", 1_000_000), ("hex", 100_000), ("json", 100_000)])
    func serveMillion(format: String, total: Int) throws {
        let path = uniqueMailslotPath("million-\(format)")
        let output = "/tmp/mailslot-test-\(getpid())-\(format).out"
        defer { unlink(output) }
        let server = try ChildProcess(
            "/bin/sh", ["-c", "exec \"$0\" serve \"$1\" --count \"$2\" --format \"$3\" > \"$4\"",
                        MailslotBinary.path, path, String(total), format, output])
        #expect(server.waitForStderrLine(startingWith: "ready ") != nil)
        let fleet = try WriterFleet(mailslot: path, writers: 2, perWriter: total / 2)
        for writer in fleet.waitForAll() { #expect(writer.code == 0, "\(writer.stderr)") }
        #expect(server.waitForExit(timeout: 120) == 0)
        let summary = format == "json" ? "{\"summary\": {\"received\": \(total), \"dropped\": 0," : "summary: \(total) messages received, 0 dropped (none)"
        #expect(server.standardError.contains(summary), "\(server.standardError)")
        if format == "json" { #expect(server.standardError.contains("\"version\": \"") && server.standardError.contains("\"commit\": \"")) }
        let messages = readLines(of: output).map { line -> Substring in
            switch format {
            case "hex": Substring(String(decoding: Self.unhex(line), as: UTF8.self))
            case "json": Self.jsonText(line)
            default: line
            }
        }
        #expect(messages.count == total)
        #expect(fleet.violation(in: messages) == nil, "\(fleet.violation(in: messages) ?? "")")
    }

    @Test("a blocking read loop takes 1,000,000 messages from 2 writer processes, in order")
    func blockingReads() throws {
        try withServer("blocking") { engine, server in
            var messages: [Substring] = []
            messages.reserveCapacity(Self.total)
            while messages.count < Self.total {
                messages.append(Substring(String(decoding: try server.readMessage(), as: UTF8.self)))
            }
            return messages
        }
    }

    @Test("completion reads, each queued from the last one's completion, take 1,000,000 messages (constant stack)")
    func completionReads() throws {
        try withServer("completion") { engine, server in
            var messages: [Substring] = []
            messages.reserveCapacity(Self.total)
            var failure: MailslotError?
            func next() {
                server.read { result in
                    switch result {
                    case .success(let bytes):
                        messages.append(Substring(String(decoding: bytes, as: UTF8.self)))
                        if messages.count == Self.total { engine.stop() } else { next() }
                    case .failure(let error):
                        failure = error
                        engine.stop()
                    }
                }
            }
            next()
            engine.run()
            #expect(failure == nil)
            return messages
        }
    }

    @Test("a callback takes 1,000,000 messages, borrowed, in order")
    func callbackReads() throws {
        try withServer("callback") { engine, server in
            var messages: [Substring] = []
            messages.reserveCapacity(Self.total)
            try server.onMessage { bytes in
                messages.append(Substring(bytes.utf8Text))
                if messages.count == Self.total { engine.stop() }
            }
            if messages.count < Self.total { engine.run() }
            return messages
        }
    }

    @Test("async reads on an engine thread take 200,000 messages, in order")
    func asyncReads() async throws {
        let total = 200_000
        let thread = try MailslotEngineThread()
        let path = uniqueMailslotPath("async")
        let server = try await thread.createMailslot(named: "\\\\.\\mailslot\\" + path)
        let fleet = try WriterFleet(mailslot: path, writers: 2, perWriter: total / 2)
        var messages: [Substring] = []
        messages.reserveCapacity(total)
        while messages.count < total {
            messages.append(Substring(String(decoding: try await server.read(), as: UTF8.self)))
        }
        for writer in fleet.waitForAll() { #expect(writer.code == 0, "\(writer.stderr)") }
        #expect(fleet.violation(in: messages) == nil, "\(fleet.violation(in: messages) ?? "")")
        let statistics = try await thread.run { engine in engine.statistics }
        #expect(statistics.drops.total == 0)
        await server.close()
        await thread.shutdown()
    }

    @Test("a slow reader: waiting writers all get through, writers that do not wait are refused, nothing is dropped")
    func slowReader() throws {
        let engine = try MailslotEngine()
        let path = uniqueMailslotPath("slow")
        let server = try engine.createMailslot(try MailslotName(localPath: path), readTimeout: .milliseconds(3_000))
        let perWriter = 20_000
        let fleet = try WriterFleet(mailslot: path, writers: 2, perWriter: perWriter)
        // A writer that does not wait: its writes fail with queue-full while the reader lags;
        // it reports how many went out before that.
        let impatient = try ChildProcess(
            "/bin/sh", ["-c", "seq 1 200000 | sed 's/^/C /' | exec \"$0\" write \"$1\" --stdin", MailslotBinary.path, path])
        var messages: [Substring] = []
        var impatientSent: Int?
        while true {
            if messages.count % 1000 == 0 { usleep(20_000) }  // the reader stalls now and then
            if impatientSent == nil, let code = impatient.waitForExit(timeout: 0.001) {
                #expect(code == 1)
                #expect(impatient.standardError.contains("ERROR_NOT_ENOUGH_QUOTA"), "\(impatient.standardError)")
                impatientSent = Self.sentBeforeFailure(impatient.standardError)
            }
            guard let bytes = try? server.readMessage() else { break }
            messages.append(Substring(String(decoding: bytes, as: UTF8.self)))
        }
        for writer in fleet.waitForAll() { #expect(writer.code == 0, "\(writer.stderr)") }
        if impatientSent == nil, impatient.waitForExit(timeout: 10) == 1 {
            impatientSent = Self.sentBeforeFailure(impatient.standardError)
        }
        let sent = try #require(impatientSent, "\(impatient.standardError)")
        let fromImpatient = messages.filter { $0.hasPrefix("C ") }
        #expect(fromImpatient.count == sent)
        #expect(fromImpatient.enumerated().allSatisfy { $0.element == "C \($0.offset + 1)" })
        #expect(fleet.violation(in: messages.filter { !$0.hasPrefix("C ") }) == nil)
        #expect(try server.statistics().drops.total == 0)
    }

    // MARK: Helpers

    /// A server in this process, two writer processes, and `read` taking every message.
    private func withServer(_ label: String, read: (MailslotEngine, MailslotServer) throws -> [Substring]) throws {
        let engine = try MailslotEngine()
        let path = uniqueMailslotPath(label)
        let server = try engine.createMailslot(try MailslotName(localPath: path), readTimeout: .milliseconds(60_000))
        let fleet = try WriterFleet(mailslot: path, writers: 2, perWriter: Self.total / 2)
        let messages = try read(engine, server)
        for writer in fleet.waitForAll() { #expect(writer.code == 0, "\(writer.stderr)") }
        #expect(messages.count == Self.total)
        #expect(fleet.violation(in: messages) == nil, "\(fleet.violation(in: messages) ?? "")")
        let statistics = try server.statistics()
        #expect(statistics.drops.total == 0)
        #expect(statistics.delivered == UInt64(Self.total))
    }

    /// `N` from `...; N messages were sent before the failure`.
    static func sentBeforeFailure(_ text: String) -> Int? {
        guard let range = text.firstRange(of: " messages were sent before the failure") else { return nil }
        return Int(text[..<range.lowerBound].split(separator: " ").last ?? "")
    }

    static func unhex(_ line: Substring) -> [UInt8] {
        var bytes: [UInt8] = []
        var high: UInt8?
        for digit in line.utf8 {
            let value = digit <= 0x39 ? digit - 0x30 : digit - 0x61 + 10
            if let first = high {
                bytes.append(first << 4 | value)
                high = nil
            } else {
                high = value
            }
        }
        return bytes
    }

    /// The `"text"` field of a JSON line (the writers' lines need no unescaping).
    static func jsonText(_ line: Substring) -> Substring {
        guard let start = line.firstRange(of: "\"text\":\"")?.upperBound, let end = line[start...].firstIndex(of: "\"") else { return "" }
        return line[start..<end]
    }
}
