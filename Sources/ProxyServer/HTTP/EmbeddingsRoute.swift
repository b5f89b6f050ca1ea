import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import ProxyEngine
import UpstreamTransport

/// `POST /v1/embeddings` (OpenAI's) and Gemini's `{model}:embedContent` and
/// `:batchEmbedContents`: to `openai` providers and the in-process mock in OpenAI's format, to
/// `gemini` providers in Gemini's (OpenAI's request translated to `batchEmbedContents`, Gemini's
/// passed through), and answered in the caller's format. The same admission as a completion
/// (credential, key allow-list, quotas, per-minute limits, concurrency, budget) and the same
/// account pool; the usage is prompt tokens only (the upstream's count, else the request's
/// estimate), priced at the model's input price. A model on a provider kind that cannot embed
/// is refused with a 400 naming it.
struct EmbeddingsRoute: Sendable {
    let gateway: Gateway
    var caller: Caller = .openAI
    static let route = "/v1/embeddings"

    /// The door a request came through.
    enum Caller: Sendable {
        /// `POST /v1/embeddings`.
        case openAI
        /// Gemini's door (`route` is its prefix, the metrics' label), the model from the path.
        case gemini(model: String, GeminiEmbedRequest.Method, route: String)

        var format: APIFormat {
            switch self {
            case .openAI: .openAI
            case .gemini: .gemini
            }
        }

        var route: String {
            switch self {
            case .openAI: EmbeddingsRoute.route
            case .gemini(_, _, let route): route
            }
        }

        /// The hub's reading of `body`, and Gemini's own when it came through that door.
        func read(_ body: ByteBuffer) throws(GatewayError) -> (EmbeddingsRequest, GeminiEmbedRequest?) {
            switch self {
            case .openAI:
                return (try EmbeddingsRequest(body: body), nil)
            case .gemini(let model, let method, _):
                let request = try GeminiEmbedRequest(body: body, model: model, method: method)
                return (request.embeddings, request)
            }
        }
    }

    func handle(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let format = self.caller.format
        var outcome = RequestOutcome(
            route: self.caller.route, format: format, started: .now, metrics: self.gateway.metrics, now: self.gateway.now,
            door: "embeddings")
        outcome.usageLog = self.gateway.usageLog
        self.gateway.metrics.requestStarted()
        var request = request
        do {
            let principal = try await self.gateway.authenticator.authenticate(request.headers, now: self.gateway.now())
            let body = try await self.gateway.collectBody(of: &request)
            let (embeddings, gemini) = try self.caller.read(body)
            let route = try self.gateway.route(embeddings.model, for: principal)
            let provider = route.provider
            let (calls, upstream) = try Self.upstreamCalls(embeddings, gemini: gemini, body: body, route: route)
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
            // One call, bar OpenAI's request of more inputs than one Gemini batch takes: a call
            // per batch, one after the other, each paced and failed over like a request; the
            // first refusal ends them.
            var answers: [(head: UpstreamResponse, body: ByteBuffer)] = []
            var relay: UpstreamRelay?
            for (path, upstreamBody) in calls {
                try await outcome.queue.reserve(provider.pacer)
                let call = UpstreamCall(
                    path: path, body: upstreamBody,
                    headers: UpstreamHeaders.forwarded(from: request.headers, extra: provider.forwardedHeaders),
                    deadline: .now() + .nanoseconds(Int64(provider.config.timeoutSeconds * 1e9)), eventLoop: context.channel.eventLoop)
                let exchange = UpstreamExchange(
                    provider: provider, call: call, stream: false, session: nil, metrics: self.gateway.metrics, logger: logger)
                let result = try await exchange.run(after: outcome.queue.wait, client: client) { outcome.attemptStarted() }
                outcome.timeToFirstByte = outcome.timeToFirstByte ?? result.timeToFirstByte
                outcome.account = result.account
                guard case .whole(let answer, let answerBody) = result.answer else {
                    throw GatewayError.upstreamFailed("The upstream answered embeddings with a stream.")
                }
                relay = UpstreamRelay(
                    deadline: call.deadline, eventLoop: call.eventLoop, client: client, timeoutSeconds: provider.config.timeoutSeconds,
                    scrubber: provider.scrubber, bridge: FormatBridge(caller: format, upstream: upstream),
                    exposesRateLimits: provider.config.exposeRateLimitHeaders, logger: logger, now: provider.now)
                answers.append((answer, answerBody))
                if answer.status.code >= 400 { break }
            }
            guard let relay, let last = answers.last else { throw GatewayError.upstreamFailed("No upstream call was made.") }
            outcome.answered(streamingOn: nil, latency: outcome.timeToFirstByte, isStream: false)
            let estimate = TokenUsage(promptTokens: embeddings.estimatedTokens, completionTokens: 0)
            var response: Response
            if last.head.status.code >= 400 {
                response = relay.errorResponse(last.head, body: last.body)
            } else if upstream == format {
                let relayed: ByteBuffer
                (response, relayed) = try relay.completeResponse(last.head, body: last.body)
                let reported = TokenUsage.lastReported(in: last.body, format: upstream)
                outcome.usage = reported.flatMap { $0.promptTokens > 0 ? $0 : nil } ?? estimate
                outcome.answerBytes = relayed.readableBytes
            } else {
                let (translated, reported) = try Self.translated(answers.map(\.body), embeddings: embeddings, gemini: gemini)
                outcome.usage = reported ?? estimate
                let scrubbed = provider.scrubber.scrub(translated.encoded)
                response = Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: scrubbed))
                outcome.answerBytes = scrubbed.readableBytes
            }
            await outcome.end(status: response.status.code, cause: .answered)
            if outcome.price != nil, response.status.code < 400 {
                response.headers[.xGatewayCostUSD] = Microdollars.dollars(outcome.microdollars)
            }
            return response
        } catch {
            return try await outcome.end(after: error, format: format, rejections: self.gateway.metrics)
        }
    }

    /// The answers of an upstream in the other format, in the caller's: Gemini's for a Gemini
    /// request (its one OpenAI answer), OpenAI's list for an OpenAI one (its Gemini batches'
    /// answers, in order); and the usage the upstream reported, if it did (only OpenAI does).
    static func translated(
        _ answers: [ByteBuffer], embeddings: EmbeddingsRequest, gemini: GeminiEmbedRequest?
    ) throws(GatewayError) -> (JSONValue, TokenUsage?) {
        var parsed: [JSONValue] = []
        for answer in answers {
            guard let value = JSONValue(parsing: answer) else {
                throw .upstreamFailed("The upstream answered with a body that is not JSON.")
            }
            parsed.append(value)
        }
        if let gemini, let answer = parsed.first, let body = answers.first {
            return (try gemini.answer(fromOpenAI: answer), TokenUsage.lastReported(in: body))
        }
        return (try GeminiEmbeddings.response(parsed, request: embeddings, model: embeddings.model), nil)
    }

    /// Where the request goes and in which format: an `openai` provider (or the mock) takes
    /// OpenAI's request (as it came, bar an aliased model); a `gemini` one Gemini's (as it came,
    /// or translated to `batchEmbedContents`, a call per 100 inputs); the others cannot embed.
    static func upstreamCalls(
        _ embeddings: EmbeddingsRequest, gemini: GeminiEmbedRequest?, body: ByteBuffer, route: ModelRouter<ProviderRuntime>.Route
    ) throws(GatewayError) -> (calls: [(path: String, body: ByteBuffer)], format: APIFormat) {
        let provider = route.provider
        switch provider.config.kind {
        case .openai, .mock:
            if let gemini { return ([("/embeddings", gemini.openAIBody(model: route.upstreamModel))], .openAI) }
            guard route.isAliased else { return ([("/embeddings", body)], .openAI) }
            guard let rewritten = JSONModelRewriter.rewritingModel(in: body, to: route.upstreamModel, at: nil) else {
                throw .badRequest("'model' must be a top-level string.")
            }
            return ([("/embeddings", rewritten)], .openAI)
        case .gemini:
            if let gemini {
                let path = GeminiPath.embeddings(model: route.upstreamModel, method: gemini.method)
                return ([(path, gemini.geminiBody(model: route.upstreamModel))], .gemini)
            }
            // Said plainly rather than answered wrongly: Gemini would embed the digits as text.
            if embeddings.isTokens {
                throw .badRequest(
                    "The model '\(embeddings.model)' is served by provider '\(provider.name)' (kind gemini), which embeds text, not token arrays: send 'input' as strings."
                )
            }
            let path = GeminiPath.embeddings(model: route.upstreamModel)
            return (GeminiEmbeddings.requests(embeddings, model: route.upstreamModel).map { (path, $0.encoded) }, .gemini)
        case .anthropic:
            throw .badRequest(
                "The model '\(embeddings.model)' is served by provider '\(provider.name)' (kind anthropic), which has no embeddings API.")
        }
    }
}
