import ProxyEngine

/// What one proxied request came to, and its one end (`end`), which `RequestLifecycle`
/// decides: a refund or a charge, the answering stream's account verdict, the metrics' record
/// and the usage record. Called by the route for what ends before an answer, by the relay for a
/// whole answer, and by the pump for a stream; the state machine lets only the first act.
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
    /// The serving model's price; nil when it has none (the request costs nothing).
    var price: ModelPrice?
    /// What the request was charged, in micro-dollars, once it ended.
    private(set) var microdollars = 0
    /// Where the request's usage record goes.
    var usageLog: UsageLog?
    /// What the request holds under its limits; freed, and charged its tokens, at the end.
    var ticket: AdmissionTicket?
    /// Its place in its provider's upstream queue, given back with a refund.
    var queue = PacerPlace()
    private var life = RequestLifecycle.StateMachine()

    /// The door the request came through (its format).
    let door: String
    /// The gateway's clock, in unix seconds: the record's time.
    let now: @Sendable () -> Double

    /// `door` names a door that is no completion format's (`embeddings`).
    init(
        route: String, format: APIFormat, started: ContinuousClock.Instant, metrics: GatewayMetrics, now: @escaping @Sendable () -> Double,
        door: String? = nil
    ) {
        self.now = now
        self.route = route
        self.door = door ?? format.door
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
        self.price = plan.price
    }

    /// An upstream attempt is about to begin: from now on the request has asked a provider.
    mutating func attemptStarted() { self.life.attemptStarted() }

    /// The upstream answered whole (its account's verdict given), or with a stream on `lease`.
    mutating func answered(streamingOn lease: AccountLease?, latency: Duration?, isStream: Bool) {
        self.life.answered(streamingOn: lease, latencySeconds: latency?.seconds ?? 0, isStream: isStream)
    }

    /// A stream's end marker is about to go out: the caller's slot is freed (once), since its
    /// client may send the next request as soon as it reads it.
    mutating func endMarkerSeen(delivered: Bool) {
        if self.life.endMarkerSeen(delivered: delivered) { self.ticket?.releaseSlot() }
    }

    /// The request's one end; every later call does nothing.
    mutating func end(status: Int, cause: RequestLifecycle.Cause) async {
        guard let ending = self.life.end(status: status, cause: cause) else { return }
        let duration = self.started.duration(to: .now)
        self.metrics.requestFinished(route: self.route, model: self.modelLabel, provider: self.provider, status: status, duration: duration)
        if let (lease, verdict) = ending.verdict, let healthy = lease.end(verdict) {
            self.metrics.setAccountHealthy(provider: self.provider, account: lease.name, healthy: healthy)
        }
        var usage: TokenUsage?
        var estimated = false
        switch ending.settlement {
        case .refund:
            self.ticket?.refund()
            await self.queue.giveBack()
        case .charge where self.ticket == nil:
            // Nothing was counted to settle (`count_tokens`).
            break
        case .charge:
            usage = self.usage
            // A stream its client left is charged for what it received: the upstream produced it.
            estimated = usage == nil && (status < 400 || (status == 499 && self.answerBytes > 0))
            if estimated { usage = UsageRecord.estimate(requestBytes: self.requestBytes, answerBytes: self.answerBytes) }
            if let usage {
                self.metrics.tokens(model: self.modelLabel, kind: "prompt", count: usage.promptTokens)
                self.metrics.tokens(model: self.modelLabel, kind: "completion", count: usage.completionTokens)
            }
            let cost = usage.map { self.price?.cost(of: $0) ?? 0 } ?? 0
            self.microdollars = self.ticket?.finish(usage: usage, microdollars: cost)?.microdollars ?? cost
            self.metrics.spent(provider: self.provider, model: self.modelLabel, microdollars: self.microdollars, priced: self.price != nil)
        }
        // A request refused before routing (no provider) leaves no record.
        guard self.provider != "none" else { return }
        self.usageLog?.append(
            UsageRecord(
                at: self.now(), user: self.user, keyID: self.keyID, model: self.model,
                provider: self.provider, account: self.account,
                promptTokens: usage?.promptTokens ?? 0, completionTokens: usage?.completionTokens ?? 0,
                estimated: estimated, status: status, latencyMilliseconds: duration.milliseconds,
                timeToFirstByteMilliseconds: self.timeToFirstByte?.milliseconds, door: self.door,
                cacheReadTokens: usage?.cacheReadTokens ?? 0, cacheWriteTokens: usage?.cacheWriteTokens ?? 0,
                reasoningTokens: usage?.reasoningTokens ?? 0, costMicrodollars: self.microdollars, priced: self.price != nil
            )
        )
    }
}
