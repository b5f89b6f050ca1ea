import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import ProxyEngine
import UpstreamTransport

/// `POST /v1/embeddings`: OpenAI's embeddings, to `openai` providers (passed through, bar an
/// aliased model name), to `gemini` providers (translated to `batchEmbedContents`) and to the
/// in-process mock. The same admission as a completion (credential, key allow-list, quotas,
/// per-minute limits, concurrency, budget) and the same account pool; the usage is prompt
/// tokens only (the upstream's count, else the request's estimate), priced at the model's
/// input price. A model on a provider kind that cannot embed is refused with a 400 naming it.
struct EmbeddingsRoute: Sendable {
    let gateway: Gateway
    static let route = "/v1/embeddings"

    func handle(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        var outcome = RequestOutcome(
            route: Self.route, format: .openAI, started: .now, metrics: self.gateway.metrics, now: self.gateway.now, door: "embeddings")
        outcome.usageLog = self.gateway.usageLog
        self.gateway.metrics.requestStarted()
        var request = request
        do {
            let principal = try await self.gateway.authenticator.authenticate(request.headers, now: self.gateway.now())
            let body = try await self.gateway.collectBody(of: &request)
            let embeddings = try EmbeddingsRequest(body: body)
            let route = try self.gateway.route(embeddings.model, for: principal)
            let provider = route.provider
            let (path, upstreamBody, upstream) = try Self.upstreamCall(embeddings, body: body, route: route)
            let price = self.gateway.prices.price(of: route.upstreamModel)
            outcome.ticket = try await self.gateway.admission.admit(
                principal.admissionCaller(tiers: self.gateway.config.quota.tiers),
                demand: QuotaReservation.Demand(promptTokens: embeddings.estimatedTokens, requestedOutputTokens: 0, price: price))
            outcome.model = UsageRecord.capped(embeddings.model)
            outcome.modelLabel = route.configuredName
            outcome.provider = provider.name
            outcome.user = principal.user
            outcome.keyID = principal.key?.id
            outcome.requestBytes = body.readableBytes
            outcome.price = price
            var logger = context.logger
            logger.handler.metadata.merge(["model": .string(outcome.model), "provider": .string(provider.name)]) { $1 }
            let client = self.gateway.clientConnections.connection(for: context.channel)
            try await outcome.queue.reserve(provider.pacer)
            let call = UpstreamCall(
                path: path, body: upstreamBody, headers: UpstreamHeaders.forwarded(from: request.headers, extra: provider.forwardedHeaders),
                deadline: .now() + .nanoseconds(Int64(provider.config.timeoutSeconds * 1e9)), eventLoop: context.channel.eventLoop)
            let exchange = UpstreamExchange(
                provider: provider, call: call, stream: false, session: nil, metrics: self.gateway.metrics, logger: logger)
            let result = try await exchange.run(after: outcome.queue.wait, client: client) { outcome.attemptStarted() }
            outcome.timeToFirstByte = result.timeToFirstByte
            outcome.account = result.account
            guard case .whole(let answer, let answerBody) = result.answer else {
                throw GatewayError.upstreamFailed("The upstream answered embeddings with a stream.")
            }
            outcome.answered(streamingOn: nil, latency: result.timeToFirstByte, isStream: false)
            let relay = UpstreamRelay(
                deadline: call.deadline, eventLoop: call.eventLoop, client: client, timeoutSeconds: provider.config.timeoutSeconds,
                scrubber: provider.scrubber, bridge: FormatBridge(caller: .openAI, upstream: upstream),
                exposesRateLimits: provider.config.exposeRateLimitHeaders, logger: logger, now: provider.now)
            var response: Response
            if answer.status.code >= 400 {
                response = relay.errorResponse(answer, body: answerBody)
            } else if upstream == .gemini {
                guard let parsed = JSONValue(parsing: answerBody) else {
                    throw GatewayError.upstreamFailed("The upstream answered with a body that is not JSON.")
                }
                let translated = provider.scrubber.scrub(
                    try GeminiEmbeddings.response(parsed, request: embeddings, model: embeddings.model).encoded)
                response = Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: translated))
                outcome.usage = TokenUsage(promptTokens: embeddings.estimatedTokens, completionTokens: 0)
                outcome.answerBytes = translated.readableBytes
            } else {
                let relayed: ByteBuffer
                (response, relayed) = try relay.completeResponse(answer, body: answerBody)
                outcome.usage =
                    TokenUsage.lastReported(in: answerBody) ?? TokenUsage(promptTokens: embeddings.estimatedTokens, completionTokens: 0)
                outcome.answerBytes = relayed.readableBytes
            }
            await outcome.end(status: response.status.code, cause: .answered)
            if outcome.price != nil, response.status.code < 400 {
                response.headers[.xGatewayCostUSD] = Microdollars.dollars(outcome.microdollars)
            }
            return response
        } catch {
            return try await outcome.end(after: error, format: .openAI, rejections: self.gateway.metrics)
        }
    }

    /// Where the request goes and in which format: an `openai` provider (or the mock) takes it
    /// as it is; a `gemini` one as `batchEmbedContents`; the others cannot embed.
    static func upstreamCall(
        _ embeddings: EmbeddingsRequest, body: ByteBuffer, route: ModelRouter<ProviderRuntime>.Route
    ) throws(GatewayError) -> (path: String, body: ByteBuffer, format: APIFormat) {
        let provider = route.provider
        switch provider.config.kind {
        case .openai, .mock:
            guard route.isAliased else { return ("/embeddings", body, .openAI) }
            guard let rewritten = JSONModelRewriter.rewritingModel(in: body, to: route.upstreamModel, at: nil) else {
                throw .badRequest("'model' must be a top-level string.")
            }
            return ("/embeddings", rewritten, .openAI)
        case .gemini:
            // Said plainly rather than answered wrongly: Gemini would embed the digits as text.
            if embeddings.isTokens {
                throw .badRequest(
                    "The model '\(embeddings.model)' is served by provider '\(provider.name)' (kind gemini), which embeds text, not token arrays: send 'input' as strings."
                )
            }
            guard embeddings.inputs.count <= GeminiEmbeddings.maximumInputs else {
                throw .badRequest(
                    "The model '\(embeddings.model)' is served by provider '\(provider.name)' (kind gemini), which embeds at most \(GeminiEmbeddings.maximumInputs) inputs per request."
                )
            }
            return (
                GeminiPath.embeddings(model: route.upstreamModel), GeminiEmbeddings.request(embeddings, model: route.upstreamModel).encoded,
                .gemini
            )
        case .anthropic:
            throw .badRequest(
                "The model '\(embeddings.model)' is served by provider '\(provider.name)' (kind anthropic), which has no embeddings API.")
        }
    }
}
