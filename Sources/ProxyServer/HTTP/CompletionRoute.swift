import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ProxyEngine

/// `POST /v1/chat/completions` (OpenAI Chat Completions) and `POST /v1/messages` (Anthropic
/// Messages) to any provider, streaming or not. When the provider speaks the client's format the
/// body goes upstream as received except for an aliased model name, and the answer comes back as
/// received; otherwise both are translated (see `FormatBridge`).
///
/// A request's life: checked (credential, body, model) → planned (`CompletionPlan`) → admitted
/// once (`AdmissionTicket`) → paced → exchanged with the provider (`UpstreamExchange`) →
/// answered (`UpstreamRelay`). It ends once (`RequestOutcome.end`, decided by
/// `RequestLifecycle`): here when no answer came, in the relay for a whole answer, in the pump
/// for a stream.
struct CompletionRoute: Sendable {
    let gateway: Gateway
    /// The path this instance serves, the `route` label of its metrics.
    let route: String
    /// The format the route's clients speak.
    let format: APIFormat
    /// A Gemini request's model and method, from its path (`GeminiRoute`).
    var gemini: GeminiTarget? = nil

    func handle(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        var outcome = RequestOutcome(
            route: self.route, format: self.format, started: .now, metrics: self.gateway.metrics, now: self.gateway.now)
        outcome.usageLog = self.gateway.usageLog
        self.gateway.metrics.requestStarted()
        var request = request
        do {
            let principal = try await self.gateway.authenticator.authenticate(request.headers, now: self.gateway.now())
            var body = try await self.gateway.collectBody(of: &request)
            var summary =
                if let gemini = self.gemini {
                    try CompletionRequestSummary(geminiBody: body, model: gemini.model, stream: gemini.stream)
                } else {
                    try CompletionRequestSummary(body: body, format: self.format)
                }
            let route = try self.gateway.route(summary.model, for: principal)
            var responses: ResponsesSession?
            if self.format == .responses && CompletionPlan.gatewayKeepsResponses(of: route.provider) {
                (body, responses) = try await ResponsesSession.prepare(
                    body: body, user: principal.user, gateway: self.gateway, logger: context.logger)
                summary.modelRange = nil
            }
            var plan = try CompletionPlan(
                caller: self.format, route: route, summary: summary, body: body, headers: request.headers,
                eventLoop: context.channel.eventLoop, keepaliveSeconds: self.gateway.config.server.streamKeepaliveSeconds)
            plan.responses = responses
            plan.price = self.gateway.prices.price(of: route.upstreamModel)
            // Every check of the request itself comes before any limit counts it.
            outcome.ticket = try await self.gateway.admission.admit(
                principal.admissionCaller(tiers: self.gateway.config.quota.tiers), demand: plan.demand(requestBytes: body.readableBytes))
            if let reservation = outcome.ticket?.reservation, reservation.isClamped { plan.clampOutput(to: reservation.outputTokens) }
            outcome.describe(principal: principal, plan: plan, requestBytes: body.readableBytes)
            var logger = context.logger
            logger.handler.metadata.merge(["model": .string(outcome.model), "provider": .string(route.provider.name)]) { $1 }
            if plan.price == nil, self.gateway.metrics.firstUnpriced(model: outcome.modelLabel) {
                logger.warning("model has no price: its requests cost nothing; add it under [prices]")
            }
            let client = self.gateway.clientConnections.connection(for: context.channel)
            try await outcome.queue.reserve(route.provider.pacer)
            let exchange = UpstreamExchange(plan: plan, metrics: self.gateway.metrics, logger: logger)
            let result = try await exchange.run(after: outcome.queue.wait, client: client) { outcome.attemptStarted() }
            return try await UpstreamRelay(plan: plan, client: client, logger: logger).response(to: result, plan: plan, outcome: &outcome)
        } catch {
            return try await outcome.end(after: error, format: self.format, rejections: self.gateway.metrics)
        }
    }
}
