/// What one proxied request came to, recorded into the metrics once, when it ends (for a
/// stream, when its last event is written).
import ProxyEngine

struct RequestOutcome: Sendable {
    let route: String
    let started: ContinuousClock.Instant
    let metrics: GatewayMetrics
    var model = "unknown"
    var provider = "none"
    var usage: TokenUsage?
    /// Where reported tokens count against a tokens-per-minute limit, when the tier has one.
    var tokenWindow: (limiter: MinuteLimiter, user: String)?
    /// Where reported tokens count against a monthly quota.
    var quotaSubject: (quota: QuotaManager, subject: String)?

    init(route: String, started: ContinuousClock.Instant, metrics: GatewayMetrics) {
        self.route = route
        self.started = started
        self.metrics = metrics
    }

    func finish(status: Int) async {
        self.metrics.requestFinished(
            route: self.route,
            model: self.model,
            provider: self.provider,
            status: status,
            duration: self.started.duration(to: .now)
        )
        if let usage = self.usage {
            self.metrics.tokens(model: self.model, kind: "prompt", count: usage.promptTokens)
            self.metrics.tokens(model: self.model, kind: "completion", count: usage.completionTokens)
            if let quota = self.quotaSubject {
                await quota.quota.record(tokens: usage.promptTokens + usage.completionTokens, subject: quota.subject)
            }
            if let window = self.tokenWindow {
                await window.limiter.record(tokens: usage.promptTokens + usage.completionTokens, user: window.user)
            }
        }
    }
}
