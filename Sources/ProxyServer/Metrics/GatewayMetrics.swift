import CoreMetrics
import Metrics
import Prometheus
import Synchronization

/// The contract's Prometheus metrics, recorded through swift-metrics into a registry this gateway
/// owns (no process-wide bootstrap, so each gateway, and each test, has its own).
///
/// Labels are bounded: route paths and providers come from the configuration, `model` is a
/// routed model name or `unknown`, `reason` and `status` are small fixed sets. No per-user label.
final class GatewayMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    private let activeStreams: Meter
    private let handles: MetricHandles
    /// Completion requests between their arrival and their last byte (the dashboard's "in
    /// flight"): an atomic, not a metric, since it is read back.
    private let inFlight = Atomic<Int>(0)
    /// Models (configured names) already warned of having no price.
    private let unpricedWarned = Mutex<Set<String>>([])

    /// Fine at the low end, where the gateway's own overhead lives, and up to the minutes a long
    /// generation takes.
    static let durationBuckets: [Duration] = [
        .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500),
        .milliseconds(1), .microseconds(2500), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(120), .seconds(300),
    ]

    init(providers: [(provider: String, accounts: [String])] = []) {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = Self.durationBuckets
        self.registry = registry
        self.factory = factory
        self.handles = MetricHandles(factory: factory)
        self.activeStreams = Meter(label: "proxy_active_streams", dimensions: [], factory: factory)
        self.activeStreams.set(0)
        for result in ["success", "failure"] { self.handles.counter("proxy_config_reloads_total", [("result", result)]).increment(by: 0) }
        for (provider, accounts) in providers { self.register(provider: provider, accounts: accounts) }
        self.setStoreUp(true)
    }

    /// Series that exist from the start (a provider's retries, its accounts' health), so that
    /// they read 0 or 1 rather than missing; called again for what a reload adds.
    func register(provider: String, accounts: [String]) {
        self.handles.counter("proxy_upstream_retries_total", [("provider", provider)]).increment(by: 0)
        for account in accounts {
            self.setAccountHealthy(provider: provider, account: account, healthy: true)
        }
    }

    func configReloaded(succeeded: Bool) {
        self.handles.counter("proxy_config_reloads_total", [("result", succeeded ? "success" : "failure")]).increment()
    }

    func requestStarted() { self.inFlight.add(1, ordering: .relaxed) }

    var requestsInFlight: Int { max(0, self.inFlight.load(ordering: .relaxed)) }

    func requestFinished(route: String, model: String, provider: String, status: Int, duration: Duration) {
        self.inFlight.subtract(1, ordering: .relaxed)
        self.handles.counter(
            "proxy_requests_total", [("route", route), ("model", model), ("provider", provider), ("status", String(status))]
        ).increment()
        self.handles.timer("proxy_request_duration_seconds", [("route", route)]).recordNanoseconds(duration.nanoseconds)
    }

    func upstreamFirstByte(provider: String, after duration: Duration) {
        self.handles.timer("proxy_upstream_ttfb_seconds", [("provider", provider)]).recordNanoseconds(duration.nanoseconds)
    }

    func rejected(reason: String) {
        self.handles.counter("proxy_rejections_total", [("reason", reason)]).increment()
    }

    func tokens(model: String, kind: String, count: Int) {
        guard count > 0 else { return }
        self.handles.counter("proxy_tokens_total", [("model", model), ("kind", kind)]).increment(by: count)
    }

    /// `proxy_spend_usd_total{provider,model}`, and `proxy_unpriced_requests_total{model}` for a
    /// model with no price.
    func spent(provider: String, model: String, microdollars: Int, priced: Bool) {
        guard priced else {
            self.handles.counter("proxy_unpriced_requests_total", [("model", model)]).increment()
            return
        }
        guard microdollars > 0 else { return }
        self.handles.floatingCounter("proxy_spend_usd_total", [("provider", provider), ("model", model)])
            .increment(by: Double(microdollars) / 1_000_000)
    }

    /// Whether `model` (a configured name) is found unpriced for the first time: it is warned
    /// of once.
    func firstUnpriced(model: String) -> Bool {
        self.unpricedWarned.withLock { warned in
            guard warned.count < 10_000 else { return false }
            return warned.insert(model).inserted
        }
    }

    func upstreamRetried(provider: String) {
        self.handles.counter("proxy_upstream_retries_total", [("provider", provider)]).increment()
    }

    func setAccountHealthy(provider: String, account: String, healthy: Bool) {
        self.handles.gauge("proxy_account_healthy", [("provider", provider), ("account", account)]).record(healthy ? 1 : 0)
    }

    /// `proxy_store_up`: 1 while the state store answers.
    func setStoreUp(_ up: Bool) {
        self.handles.gauge("proxy_store_up", []).record(up ? 1 : 0)
    }

    func streamStarted() { self.activeStreams.increment() }
    func streamEnded() { self.activeStreams.decrement() }

    /// The Prometheus text exposition of every metric.
    func exposition() -> [UInt8] {
        self.registry.emitToBuffer()
    }
}
