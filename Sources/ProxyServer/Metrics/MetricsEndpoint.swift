import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ProxyEngine
import ServiceLifecycle

/// `GET /metrics` in the Prometheus text format, on `server.metrics_port` (its own listener, so
/// scraping never queues behind client traffic) or on the main port when that is 0.
enum MetricsEndpoint {
    static func response(_ metrics: GatewayMetrics) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: metrics.exposition()))
        )
    }

    static func application(gateway: Gateway, host: String, logger: Logger) -> some Service {
        let router = Router()
        router.get("/metrics") { _, _ in Self.response(gateway.metrics) }
        return Application(
            router: router,
            configuration: .init(address: .hostname(host, port: gateway.config.server.metricsPort), serverName: nil),
            logger: logger
        )
    }
}
