import Foundation
import Logging
import MailslotEngine
import MailslotPrometheus
import MailslotServiceLifecycle
import Prometheus
import ServiceLifecycle

/// Takes every message of one mailslot through its async stream.
struct JobConsumer: Service {
    let mailslots: MailslotService
    let name: String

    func run() async throws {
        let slot = try await mailslots.engine.createMailslot(named: name)
        FileHandle.standardError.write(Data("ready \(name)\n".utf8))
        var messages = 0, bytes = 0
        // On SIGTERM: what the mailslot already received still comes here, then this returns.
        try await slot.consumeUntilGracefulShutdown(buffer: 4096, drainingWithin: .seconds(5)) { message in
            messages += 1  // a real service would handle message.bytes and message.origin here
            bytes += message.bytes.count
        }
        print("consumed \(messages) messages, \(bytes) bytes")
    }
}

/// `mailslot-example-service [NAME] [METRICS_PORT]`: a consumer, the engine and /metrics in a
/// ServiceGroup; SIGTERM or SIGINT delivers what was received, then exits.
@main
enum ExampleService {
    static func main() async throws {
        let arguments = CommandLine.arguments.dropFirst()
        let logger = Logger(label: "example")
        let registry = PrometheusCollectorRegistry()
        var configuration = EngineConfiguration()
        configuration.logger = logger
        configuration.metricsFactory = PrometheusEndpoint.metricsFactory(registry)
        let mailslots = try MailslotService(configuration: configuration, drainingWithin: .seconds(5))
        let consumer = JobConsumer(mailslots: mailslots, name: arguments.first ?? #"\\.\mailslot\example\jobs"#)
        let port = UInt16(arguments.dropFirst().first ?? "9138") ?? 9138
        let metrics = try PrometheusEndpoint(registry: registry, host: "127.0.0.1", port: port) { bound in
            FileHandle.standardError.write(Data("metrics 127.0.0.1:\(bound)\n".utf8))
        }
        // Shut down in reverse order: the consumer drains its mailslot, then the engine stops.
        let group = ServiceGroup(configuration: .init(
            services: [metrics, mailslots, consumer], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
