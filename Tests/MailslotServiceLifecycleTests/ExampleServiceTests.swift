import Glibc
import MailslotTestSupport
import Testing

/// The README's example service as a real process: a ServiceGroup with a stream consumer and
/// Prometheus metrics, fed by a writer process, scraped with curl, stopped with SIGTERM.
@Suite("The example service", .timeLimit(.minutes(5)))
struct ExampleServiceTests {
    static let curl = access("/usr/bin/curl", X_OK) == 0

    /// The value of an unlabelled sample in Prometheus text, or of one with exactly `labels`.
    static func sample(_ name: String, labels: String = "", in text: String) -> Double? {
        let key = labels.isEmpty ? name + " " : "\(name){\(labels)} "
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(key) }) else { return nil }
        return Double(line.dropFirst(key.count))
    }

    @Test(
        "10,000 messages from a writer process: /metrics counts them, SIGTERM ends it gracefully with every message consumed",
        .enabled(if: curl, "curl is not installed (scripts/setup-peers.sh installs it)"))
    func exampleServiceUnderLoad() throws {
        let path = uniqueMailslotPath("example")
        let service = try ChildProcess(MailslotBinary.sibling("mailslot-example-service"), ["\\\\.\\mailslot\\" + path, "0"])
        defer { service.kill(SIGKILL) }
        let metricsLine = try #require(service.waitForStderrLine(startingWith: "metrics ", timeout: 60))
        #expect(service.waitForStderrLine(startingWith: "ready ", timeout: 60) != nil)
        let address = String(metricsLine.split(separator: " ").last ?? "")

        let writer = try ChildProcess(
            "/bin/sh", ["-c", "seq 1 10000 | exec \"$0\" write \"$1\" --stdin --wait 60000", MailslotBinary.path, path])
        #expect(writer.waitForExit(timeout: 120) == 0, "\(writer.standardError)")

        // The engine reports to the metrics backend once a second: scrape until it has.
        var text = ""
        for _ in 0..<100 {
            let scrape = try ChildProcess("/usr/bin/curl", ["-sf", "http://\(address)/metrics"])
            #expect(scrape.waitForExit(timeout: 10) == 0)
            text = scrape.standardOutput
            if Self.sample("mailslot_messages_delivered_total", in: text) == 10_000 { break }
            usleep(100_000)
        }
        #expect(Self.sample("mailslot_messages_received_total", in: text) == 10_000, "\(text)")
        #expect(Self.sample("mailslot_messages_delivered_total", in: text) == 10_000)
        #expect(Self.sample("mailslot_bytes_delivered_total", in: text) == 38_894)  // seq 1 10000, without newlines
        #expect(Self.sample("mailslot_open_mailslots", in: text) == 1)
        #expect(Self.sample("mailslot_messages_dropped_total", labels: "cause=\"queue_full\"", in: text) == 0)
        #expect(Self.sample("mailslot_stream_batch_messages_sum", in: text) == 10_000)
        #expect(text.contains("# TYPE mailslot_messages_delivered_total counter"))
        #expect(text.contains("# TYPE mailslot_stream_batch_messages histogram"))

        service.kill(SIGTERM)
        #expect(service.waitForExit(timeout: 60) == 0, "\(service.standardError)")
        #expect(service.standardOutput.contains("consumed 10000 messages, 38894 bytes"), "\(service.standardOutput)")
    }

    @Test("the README shows the example service as it is in the package")
    func readmeShowsTheExample() throws {
        let root = "/" + #filePath.split(separator: "/").dropLast(3).joined(separator: "/")
        let source = try #require(readTextFile(root + "/Sources/mailslot-example-service/ExampleService.swift"))
        let readme = try #require(readTextFile(root + "/README.md"))
        #expect(readme.contains(source.trimmingSuffix()), "README.md's example differs from Sources/mailslot-example-service")
    }
}

extension String {
    /// Without trailing newlines.
    func trimmingSuffix() -> String {
        var text = Substring(self)
        while text.last == "\n" { text = text.dropLast() }
        return String(text)
    }
}
