import FlyingFox
import Foundation
import Logging
import Prometheus
import ServiceLifecycle

/// Serves a Prometheus registry's metrics as text on `GET /metrics`, as a swift-service-lifecycle
/// `Service`. The HTTP server is FlyingFox (a small library on non-blocking sockets and Swift
/// concurrency): no request parsing of ours.
///
/// ```swift
/// let registry = PrometheusCollectorRegistry()
/// let configuration = EngineConfiguration(metricsFactory: PrometheusEndpoint.metricsFactory(registry))
/// let endpoint = try PrometheusEndpoint(registry: registry, host: "127.0.0.1", port: 9138)
/// ```
public final class PrometheusEndpoint: Service, Sendable {
    private let server: HTTPServer
    private let registry: PrometheusCollectorRegistry
    private let logger: Logger
    /// Called with the bound port once the endpoint listens (useful with port 0).
    private let onListening: @Sendable (UInt16) -> Void

    /// A metrics factory that records into `registry`, with buckets that suit the engine's
    /// histogram of stream batch sizes.
    public static func metricsFactory(_ registry: PrometheusCollectorRegistry) -> PrometheusMetricsFactory {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.valueHistogramBuckets["mailslot_stream_batch_messages"] = [1, 2, 4, 8, 16, 32, 64, 128, 256]
        return factory
    }

    /// An endpoint for `registry` on `host:port` (an IPv4 address; port 0: any free port).
    /// - Throws: when `host` is not an IPv4 address.
    public init(
        registry: PrometheusCollectorRegistry, host: String, port: UInt16, logger: Logger = Logger(label: "mailslot.metrics"),
        onListening: @escaping @Sendable (UInt16) -> Void = { _ in }
    ) throws {
        server = HTTPServer(address: try .inet(ip4: host, port: port), logger: .disabled)
        self.registry = registry
        self.logger = logger
        self.onListening = onListening
    }

    /// Serves until graceful shutdown or cancellation, which stop it at once.
    public func run() async throws {
        let server = self.server
        let registry = self.registry
        let (logger, onListening) = (self.logger, self.onListening)
        await server.appendRoute("GET /metrics") { _ in
            var text: [UInt8] = []
            registry.emit(into: &text)
            return HTTPResponse(
                statusCode: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"], body: Data(text))
        }
        do {
            try await cancelWhenGracefulShutdown {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await server.run() }
                    try await server.waitUntilListening()
                    if case .ip4(_, let port)? = await server.listeningAddress {
                        logger.info("serving metrics", metadata: ["port": "\(port)"])
                        onListening(port)
                    }
                    try await group.waitForAll()
                }
            }
        } catch where Task.isShuttingDownGracefully || Task.isCancelled {
            // Cancelled to stop (a scrape in flight is cut short; the next one finds the port
            // closed): the server's error then is the way it ends, not a failure.
        }
    }
}
