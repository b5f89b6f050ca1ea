/// What one proxied request came to, recorded into the metrics once, when it ends (for a
/// stream, when its last event is written).
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
    /// What the request holds under its limits; freed, and charged its tokens, at the end.
    var ticket: AdmissionTicket?

    /// The door the request came through (its format).
    let door: String
    /// The gateway's clock, in unix seconds: the record's time.
    let now: @Sendable () -> Double

    init(route: String, format: APIFormat, started: ContinuousClock.Instant, metrics: GatewayMetrics, now: @escaping @Sendable () -> Double)
    {
        self.now = now
        self.route = route
        self.door = format.door
        self.started = started
        self.metrics = metrics
    }

    /// Who asked for what, once the request is admitted.
    mutating func describe(principal: Principal, plan: CompletionPlan, requestBytes: Int) {
        self.model = UsageRecord.capped(plan.summary.model)
        self.modelLabel = plan.route.configuredName
        self.provider = plan.provider.name
        self.user = principal.user
        self.keyID = principal.key?.id
        self.requestBytes = requestBytes
    }

    /// Records the request once it has ended. Called once, by whoever ends it: the route for a
    /// whole answer or a refusal, the pump for a stream.
    func finish(status: Int) {
        let duration = self.started.duration(to: .now)
        self.metrics.requestFinished(route: self.route, model: self.modelLabel, provider: self.provider, status: status, duration: duration)
        // A request refused before it reached a provider has no usage to record.
        guard self.provider != "none" else {
            self.ticket?.refund()
            return
        }
        var usage = self.usage
        // A stream its client left is charged for what it received: the upstream produced it.
        let estimated = usage == nil && (status < 400 || (status == 499 && self.answerBytes > 0))
        if estimated { usage = UsageRecord.estimate(requestBytes: self.requestBytes, answerBytes: self.answerBytes) }
        self.usageLog?.append(
            UsageRecord(
                at: self.now(), user: self.user, keyID: self.keyID, model: self.model,
                provider: self.provider, account: self.account,
                promptTokens: usage?.promptTokens ?? 0, completionTokens: usage?.completionTokens ?? 0,
                estimated: estimated, status: status, latencyMilliseconds: duration.milliseconds,
                timeToFirstByteMilliseconds: self.timeToFirstByte?.milliseconds, door: self.door,
                cacheReadTokens: usage?.cacheReadTokens ?? 0, cacheWriteTokens: usage?.cacheWriteTokens ?? 0,
                reasoningTokens: usage?.reasoningTokens ?? 0
            )
        )
        if let usage {
            self.metrics.tokens(model: self.modelLabel, kind: "prompt", count: usage.promptTokens)
            self.metrics.tokens(model: self.modelLabel, kind: "completion", count: usage.completionTokens)
        }
        self.ticket?.finish(usage: usage)
    }
}
