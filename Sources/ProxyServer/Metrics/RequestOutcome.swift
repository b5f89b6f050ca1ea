/// What one proxied request came to, recorded into the metrics once, when it ends (for a
/// stream, when its last event is written).
import Foundation
import ProxyEngine

struct RequestOutcome: Sendable {
    let route: String
    let started: ContinuousClock.Instant
    let metrics: GatewayMetrics
    /// The model the client asked for, as its usage record keeps it.
    var model = "unknown"
    /// The configured name that matched it (see `ModelRouter.Route.configuredName`): the
    /// metrics' `model` label, bounded by the configuration whatever clients send.
    var modelLabel = "unknown"
    var provider = "none"
    var usage: TokenUsage?
    var user = ""
    var keyID: String?
    var account = ""
    var requestBytes = 0
    var answerBytes = 0
    var timeToFirstByte: Duration?
    /// Where the request's usage record goes.
    var usageLog: UsageLog?
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
        let duration = self.started.duration(to: .now)
        self.metrics.requestFinished(route: self.route, model: self.modelLabel, provider: self.provider, status: status, duration: duration)
        // A request refused before it reached a provider has no usage to record.
        guard self.provider != "none" else { return }
        var usage = self.usage
        // A stream its client left is charged for what it received: the upstream produced it.
        let estimated = usage == nil && (status < 400 || (status == 499 && self.answerBytes > 0))
        if estimated { usage = UsageRecord.estimate(requestBytes: self.requestBytes, answerBytes: self.answerBytes) }
        self.usageLog?.append(
            UsageRecord(
                at: Date().timeIntervalSince1970, user: self.user, keyID: self.keyID, model: self.model,
                provider: self.provider, account: self.account,
                promptTokens: usage?.promptTokens ?? 0, completionTokens: usage?.completionTokens ?? 0,
                estimated: estimated, status: status, latencyMilliseconds: duration.milliseconds,
                timeToFirstByteMilliseconds: self.timeToFirstByte?.milliseconds
            )
        )
        if let usage {
            self.metrics.tokens(model: self.modelLabel, kind: "prompt", count: usage.promptTokens)
            self.metrics.tokens(model: self.modelLabel, kind: "completion", count: usage.completionTokens)
            if let quota = self.quotaSubject {
                await quota.quota.record(tokens: usage.total, subject: quota.subject)
            }
            if let window = self.tokenWindow {
                await window.limiter.record(tokens: usage.total, user: window.user)
            }
        }
    }
}
