import Logging
import MailslotEngine
import Prometheus
import ServiceLifecycle

/// Serves a Prometheus registry's metrics as text on `GET /metrics`, as a swift-service-lifecycle
/// `Service`.
///
/// The HTTP is the least a scraper needs: `GET` or `HEAD /metrics` (any query) gets the
/// registry's text format, another path 404, another method 405; each connection takes one
/// request and closes. Connections are taken one at a time, each within 2 seconds and 8 KiB
/// (the engine's `TCPRequestServer`), so a client that stalls delays a scrape, never starves
/// the service or grows its memory.
///
/// ```swift
/// let registry = PrometheusCollectorRegistry()
/// let configuration = EngineConfiguration(metricsFactory: PrometheusEndpoint.metricsFactory(registry))
/// let endpoint = try PrometheusEndpoint(registry: registry, host: "127.0.0.1", port: 9138)
/// ```
public final class PrometheusEndpoint: Service, Sendable {
    private let server: TCPRequestServer
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

    /// An endpoint for `registry` on `host:port` (an IPv4 address; port 0: any free port). The
    /// port is bound here; requests are answered once ``run()`` runs.
    /// - Throws: when `host` is not an IPv4 address, or the port is taken.
    public init(
        registry: PrometheusCollectorRegistry, host: String, port: UInt16, logger: Logger = Logger(label: "mailslot.metrics"),
        onListening: @escaping @Sendable (UInt16) -> Void = { _ in }
    ) throws {
        server = try TCPRequestServer(host: host, port: port) { head, complete in
            MetricsRequest(head: head, complete: complete).response {
                var text: [UInt8] = []
                registry.emit(into: &text)
                return text
            }
        }
        self.logger = logger
        self.onListening = onListening
    }

    /// Serves until graceful shutdown or cancellation, which stop it at once (a scrape in
    /// flight is cut short; the next one finds the port closed).
    public func run() async throws {
        try server.start()
        logger.info("serving metrics", metadata: ["port": "\(server.port)"])
        onListening(server.port)
        try? await gracefulShutdown()
        server.stop()
    }
}

/// One HTTP request head, and the response the endpoint gives it.
struct MetricsRequest {
    /// The request line's method and path (without its query), or `nil` when it is not one.
    let method: Substring?
    let path: Substring?
    /// Whether the head ended within the size limit.
    let complete: Bool

    init(head: [UInt8], complete: Bool) {
        self.complete = complete
        // METHOD SP TARGET SP HTTP/1.x CRLF
        let line = String(decoding: head.prefix { $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\n") }, as: UTF8.self)
        let parts = line.split(separator: " ", omittingEmptySubsequences: false)
        if parts.count == 3, parts[2].hasPrefix("HTTP/1.") {
            method = parts[0]
            path = parts[1].split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first
        } else {
            (method, path) = (nil, nil)
        }
    }

    /// The whole response, the body from `metrics` when the request asks for them.
    func response(metrics: () -> [UInt8]) -> [UInt8] {
        guard complete else { return Self.response(431, "Request Header Fields Too Large", body: []) }
        guard let method, let path else { return Self.response(400, "Bad Request", body: []) }
        guard path == "/metrics" else { return Self.response(404, "Not Found", body: Array("try /metrics\n".utf8)) }
        switch method {
        case "GET": return Self.response(200, "OK", body: metrics())
        case "HEAD": return Self.response(200, "OK", body: metrics(), headOnly: true)
        default: return Self.response(405, "Method Not Allowed", body: [], extra: "Allow: GET, HEAD\r\n")
        }
    }

    static func response(_ status: Int, _ reason: String, body: [UInt8], headOnly: Bool = false, extra: String = "") -> [UInt8] {
        let type = status == 200 ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain; charset=utf-8"
        let head = "HTTP/1.1 \(status) \(reason)\r\nContent-Type: \(type)\r\nContent-Length: \(body.count)\r\n\(extra)Connection: close\r\n\r\n"
        return Array(head.utf8) + (headOnly ? [] : body)
    }
}
