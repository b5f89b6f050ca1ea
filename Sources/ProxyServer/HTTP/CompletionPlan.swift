import HTTPTypes
import NIOCore
import NIOHTTP1
import ProxyEngine

/// What a completion request becomes upstream, decided before any limit counts it: the format
/// bridge, the body as the provider takes it, and the call.
struct CompletionPlan {
    let bridge: FormatBridge
    let route: ModelRouter<ProviderRuntime>.Route
    let summary: CompletionRequestSummary
    private(set) var call: UpstreamCall
    /// The serving model's price (`PriceTable`), nil when it has none.
    var price: ModelPrice?
    /// The output limit the gateway set in the upstream request, when the caller's quota or
    /// budget could not pay for what it asked (see `QuotaReservation`).
    private(set) var clampedOutputTokens: Int?
    /// Keeps a conversation on one account: the client's `x-session-id`, else Anthropic's
    /// `metadata.user_id`.
    let session: String?
    /// The gateway asked for a stream's usage the client did not ask for: it comes out again.
    let injectsUsage: Bool
    /// A Responses request whose answer the gateway keeps (`store`).
    var responses: ResponsesSession?

    var provider: ProviderRuntime { self.route.provider }

    init(
        caller: APIFormat,
        route: ModelRouter<ProviderRuntime>.Route,
        summary: CompletionRequestSummary,
        body: ByteBuffer,
        headers: HTTPFields,
        eventLoop: any EventLoop,
        keepaliveSeconds: Double = 0
    ) throws(GatewayError) {
        let provider = route.provider
        var bridge = FormatBridge(
            caller: caller, upstream: Self.upstreamFormat(caller: caller, provider: provider), stream: summary.stream)
        var upstreamBody = try bridge.upstreamBody(
            body, upstreamModel: route.upstreamModel, isAliased: route.isAliased, modelRange: summary.modelRange)
        // Usage of a stream is only reported if asked for: ask, and strip the answer back to what
        // the client asked for (see InjectedUsageStripper).
        var injectsUsage = bridge.isPassThrough && caller == .openAI && summary.stream && !summary.hasStreamOptions
        if injectsUsage {
            if let withUsage = JSONModelRewriter.addingIncludeUsage(to: upstreamBody) {
                upstreamBody = withUsage
            } else {
                injectsUsage = false
            }
        }
        var forwarded = UpstreamHeaders.forwarded(from: headers, extra: provider.forwardedHeaders)
        if bridge.upstream != .anthropic {
            // An Anthropic client's version and beta flags mean nothing to an OpenAI upstream.
            forwarded.remove(name: "anthropic-version")
            forwarded.remove(name: "anthropic-beta")
        }
        self.bridge = bridge
        self.route = route
        self.summary = summary
        self.injectsUsage = injectsUsage
        if bridge.upstream == .responses, let previous = summary.previousResponseID {
            // The id resolves only on the account that made it (see `pinsResponses`).
            self.session = Self.responseSession(previous)
        } else {
            self.session = headers[.xSessionID] ?? summary.sessionKey
        }
        self.call = UpstreamCall(
            path: bridge.upstreamPath(model: route.upstreamModel, stream: summary.stream),
            body: upstreamBody,
            headers: forwarded,
            deadline: .now() + .nanoseconds(Int64(provider.config.timeoutSeconds * 1e9)),
            eventLoop: eventLoop,
            silenceTick: summary.stream && keepaliveSeconds > 0 ? .nanoseconds(Int64(keepaliveSeconds * 1e9)) : nil
        )
    }

    /// What the request asks of its caller's token quota and budget: its prompt from the larger
    /// of the client's body and the upstream's (a kept conversation, a translation), and the
    /// output limit the upstream will keep to (a translation may raise it for a thinking
    /// budget), else the client's.
    func demand(requestBytes: Int) -> QuotaReservation.Demand {
        let upstream = self.bridge.isPassThrough ? nil : OutputTokenLimit.value(in: self.call.body, format: self.bridge.upstream)
        return QuotaReservation.Demand(
            promptTokens: QuotaReservation.Demand.promptTokens(ofBodyBytes: max(requestBytes, self.call.body.readableBytes)),
            requestedOutputTokens: upstream ?? self.summary.maxOutputTokens, price: self.price)
    }

    /// Lowers the upstream request's output limit to what the reservation pays for (see
    /// `OutputTokenLimit.lowering`).
    mutating func clampOutput(to tokens: Int) {
        guard
            let body = OutputTokenLimit.lowering(
                to: tokens, in: self.call.body, format: self.bridge.upstream, model: self.route.upstreamModel)
        else { return }
        self.call.body = body
        self.clampedOutputTokens = tokens
    }

    /// The account-pool session of a native upstream's response id, which resolves only on the
    /// account that made the response: a request continuing it goes there.
    static func responseSession(_ responseID: String) -> String { "response:" + responseID }

    /// Whether the answer's response id is pinned to its account: on a native Responses upstream
    /// with more than one account to choose from.
    var pinsResponses: Bool { self.bridge.upstream == .responses && (self.provider.pool?.count ?? 0) > 1 }

    /// The format the request goes upstream in: the provider's own, except that only an
    /// `openai` provider set to `responses_api = "native"` (or the mock, which speaks all three)
    /// takes a Responses request as it is.
    static func upstreamFormat(caller: APIFormat, provider: ProviderRuntime) -> APIFormat {
        guard let wireFormat = provider.upstream.wireFormat else { return caller }
        if caller == .responses && wireFormat == .openAI && provider.config.responsesAPI == .native { return .responses }
        return wireFormat
    }

    /// Whether the gateway keeps a Responses request's answers and resolves its
    /// `previous_response_id`: everywhere but on a native `openai` upstream, which keeps its own
    /// (and where an id resolves only on the account that made it).
    static func gatewayKeepsResponses(of provider: ProviderRuntime) -> Bool {
        !(provider.upstream.wireFormat == .openAI && provider.config.responsesAPI == .native)
    }

    /// What happens to a stream's events between the upstream and the client.
    func streamTransform() -> StreamRelay.Transform {
        let created = Int(self.provider.now())
        if let translator = self.bridge.streamTranslator(
            model: self.route.upstreamModel, created: created, includeUsage: self.summary.includeUsage)
        {
            return .translate(translator)
        }
        return .passThrough(stripsInjectedUsage: self.injectsUsage)
    }
}
