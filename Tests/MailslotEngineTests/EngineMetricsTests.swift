import CoreMetrics
import Glibc
@testable import MailslotEngine
import MailslotTestSupport
import MetricsTestKit
import Testing

/// The engine's swift-metrics counters and gauges, through a test backend given in the
/// configuration (no global bootstrap, so tests stay independent).
@Suite("Metrics", .timeLimit(.minutes(5)))
struct EngineMetricsTests {
    @Test("delivered messages and bytes, drops by cause and the gauges reach the configured backend")
    func countersAndGauges() throws {
        let metrics = TestMetrics()
        var configuration = EngineConfiguration()
        configuration.metricsFactory = metrics
        let engine = try MailslotEngine(configuration: configuration)
        let path = uniqueMailslotPath("metrics")
        let server = try engine.createMailslot(MailslotName(localPath: path), readTimeout: .immediate)
        let client = try MailslotClient(MailslotName(localPath: path))
        for index in 0..<10 { try client.write("message \(index)") }  // 9 bytes each
        for _ in 0..<4 { _ = try server.readMessage() }
        engine.reportMetrics()
        #expect(try metrics.expectCounter("mailslot_messages_delivered_total").totalValue == 4)
        #expect(try metrics.expectCounter("mailslot_bytes_delivered_total").totalValue == 36)
        #expect(try metrics.expectCounter("mailslot_messages_received_total").totalValue == 10)
        #expect(try metrics.expectGauge("mailslot_open_mailslots").lastValue == 1)
        #expect(try metrics.expectGauge("mailslot_queued_messages").lastValue == 6)
        #expect((try metrics.expectGauge("mailslot_queued_bytes").lastValue ?? 0) >= 54)
        server.close()
        engine.reportMetrics()
        let unread = try metrics.expectCounter("mailslot_messages_dropped_total", [("cause", "closed_unread")])
        #expect(unread.totalValue == 6)
        #expect(try metrics.expectGauge("mailslot_open_mailslots").lastValue == 0)
        // A second report adds nothing: counters take the gains since the last one.
        engine.reportMetrics()
        #expect(try metrics.expectCounter("mailslot_messages_delivered_total").totalValue == 4)
    }

    @Test("the datagram service's receives and drops by cause are counted too")
    func networkCounters() throws {
        let metrics = TestMetrics()
        var configuration = EngineConfiguration()
        configuration.metricsFactory = metrics
        let engine = try MailslotEngine(configuration: configuration)
        try engine.startDatagramService(DatagramServiceTests.network("RECEIVER", port: 0))
        let port = try #require(engine.datagramPort)
        let raw = try system_socket(domain: AF_INET, type: Int32(SOCK_DGRAM.rawValue))
        defer { system_close(raw) }
        for _ in 0..<3 {
            _ = try [UInt8](repeating: 0x10, count: 40).withUnsafeBytes {
                try system_sendto(raw, $0, to: IPv4Endpoint(address: 0x7F00_0001, port: port))
            }
        }
        DatagramServiceTests.run(engine) { (engine.datagramStatistics?.received ?? 0) == 3 }
        engine.reportMetrics()
        #expect(try metrics.expectCounter("mailslot_network_datagrams_received_total").totalValue == 3)
        #expect(try metrics.expectCounter("mailslot_network_datagrams_dropped_total", [("cause", "malformed")]).totalValue == 3)
    }

    @Test("with no backend configured the engine reports to the bootstrapped one; with none bootstrapped either, it keeps no metrics at all")
    func noBackendNoWork() throws {
        // Bootstrapped (the global factory is a real backend): it is used.
        let global = TestMetrics()
        let reporting = try #require(EngineMetrics.make(nil, bootstrapped: global))
        var totals = MailslotStatistics()
        totals.received = 7
        reporting.report(totals: totals, network: nil, open: 2, queuedMessages: 0, queuedBytes: 0)
        #expect(try global.expectCounter("mailslot_messages_received_total").totalValue == 7)
        #expect(try global.expectGauge("mailslot_open_mailslots").lastValue == 2)
        // Nothing bootstrapped (swift-metrics' no-op factory): no metrics object, so no counter,
        // gauge or per-sweep report is ever made.
        #expect(EngineMetrics.make(nil, bootstrapped: NOOPMetricsHandler.instance) == nil)
        // This test process bootstraps nothing: an engine made here keeps none, and its report
        // reaches no backend.
        let engine = try MailslotEngine()
        #expect(engine.metrics == nil)
        let server = try engine.createMailslot(MailslotName(localPath: uniqueMailslotPath("nometrics")), readTimeout: .immediate)
        engine.reportMetrics()
        server.close()
    }
}
