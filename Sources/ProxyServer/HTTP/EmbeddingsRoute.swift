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
            // per batch, one after the other, each paced and failed over like a request, all
            // within the provider's `timeout_seconds`; the first refusal ends them, and what the
            // batches before it embedded is charged.
            let deadline = NIODeadline.now() + .nanoseconds(Int64(provider.config.timeoutSeconds * 1e9))
            var answers: [(head: UpstreamResponse, body: ByteBuffer)] = []
            var completed = 0
            for upstreamCall in calls {
                try await outcome.queue.reserve(provider.pacer)
                let call = UpstreamCall(
                    path: upstreamCall.path, body: upstreamCall.body,
                    headers: UpstreamHeaders.forwarded(from: request.headers, extra: provider.forwardedHeaders), deadline: deadline,
                    eventLoop: context.channel.eventLoop)
                let exchange = UpstreamExchange(
                    provider: provider, call: call, stream: false, session: nil, metrics: self.gateway.metrics, logger: logger)
                let result = try await exchange.run(after: outcome.queue.wait, client: client) { outcome.attemptStarted() }
                outcome.account = result.account
                guard case .whole(let answer, let answerBody) = result.answer else {
                    throw GatewayError.upstreamFailed("The upstream answered embeddings with a stream.")
                }
                if answers.isEmpty {
                    outcome.timeToFirstByte = result.timeToFirstByte
                    outcome.answered(streamingOn: nil, latency: result.timeToFirstByte, isStream: false)
                }
                answers.append((answer, answerBody))
                guard answer.status.code < 400 else { break }
                completed += upstreamCall.estimatedTokens
                outcome.usage = TokenUsage(promptTokens: completed, completionTokens: 0)
            }
            guard let last = answers.last else { throw GatewayError.upstreamFailed("No upstream call was made.") }
            let relay = UpstreamRelay(
                deadline: deadline, eventLoop: context.channel.eventLoop, client: client, timeoutSeconds: provider.config.timeoutSeconds,
                scrubber: provider.scrubber, bridge: FormatBridge(caller: format, upstream: upstream),
                exposesRateLimits: provider.config.exposeRateLimitHeaders, logger: logger, now: provider.now)
            var response: Response
            if last.head.status.code >= 400 {
                response = relay.errorResponse(last.head, body: last.body)
            } else {
                let bodies = answers.map(\.body)
                outcome.usage = Self.reportedUsage(bodies, format: upstream) ?? outcome.usage
                let answer: ByteBuffer
                if upstream == format {
                    (response, answer) = try relay.completeResponse(last.head, body: last.body)
                } else {
                    let translated = try Self.translated(
                        bodies, embeddings: embeddings, gemini: gemini, promptTokens: outcome.usage?.promptTokens ?? completed)
                    answer = provider.scrubber.scrub(translated.encoded)
                    response = Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: answer))
                }
                outcome.answerBytes = answer.readableBytes
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

    /// The prompt tokens the upstream reported over all its answers (OpenAI's `usage`, Gemini's
    /// `usageMetadata` where it gives one), or nil unless every answer reported some.
    static func reportedUsage(_ answers: [ByteBuffer], format: APIFormat) -> TokenUsage? {
        var total = 0
        for answer in answers {
            guard let reported = TokenUsage.lastReported(in: answer, format: format), reported.promptTokens > 0 else { return nil }
            total += reported.promptTokens
        }
        return total > 0 ? TokenUsage(promptTokens: total, completionTokens: 0) : nil
    }

    /// The answers of an upstream in the other format, in the caller's: Gemini's for a Gemini
    /// request (its one OpenAI answer), OpenAI's list for an OpenAI one (its Gemini batches'
    /// answers, in order, reporting `promptTokens`).
    static func translated(
        _ answers: [ByteBuffer], embeddings: EmbeddingsRequest, gemini: GeminiEmbedRequest?, promptTokens: Int
    ) throws(GatewayError) -> JSONValue {
        var parsed: [JSONValue] = []
        for answer in answers {
            guard let value = JSONValue(parsing: answer) else {
                throw .upstreamFailed("The upstream answered with a body that is not JSON.")
            }
            parsed.append(value)
        }
        if let gemini, let answer = parsed.first { return try gemini.answer(fromOpenAI: answer) }
        return try GeminiEmbeddings.response(parsed, request: embeddings, model: embeddings.model, promptTokens: promptTokens)
    }

    /// One upstream call: where, what, and the prompt tokens its inputs are estimated at.
    struct Call {
        var path: String
        var body: ByteBuffer
        var estimatedTokens: Int
    }

    /// Where the request goes and in which format: an `openai` provider (or the mock) takes
    /// OpenAI's request (as it came, bar an aliased model); a `gemini` one Gemini's (as it came,
    /// or translated to `batchEmbedContents`, a call per 100 inputs); the others cannot embed.
    static func upstreamCalls(
        _ embeddings: EmbeddingsRequest, gemini: GeminiEmbedRequest?, body: ByteBuffer, route: ModelRouter<ProviderRuntime>.Route
    ) throws(GatewayError) -> (calls: [Call], format: APIFormat) {
        let provider = route.provider
        let tokens = embeddings.estimatedTokens
        switch provider.config.kind {
        case .openai, .mock:
            if let gemini {
                if let reason = gemini.untranslatable {
                    throw .badRequest(
                        "The model '\(embeddings.model)' is served by provider '\(provider.name)' (kind \(provider.config.kind.rawValue)), which embeds one text per input in one size: \(reason)."
                    )
                }
                return ([Call(path: "/embeddings", body: gemini.openAIBody(model: route.upstreamModel), estimatedTokens: tokens)], .openAI)
            }
            guard route.isAliased else { return ([Call(path: "/embeddings", body: body, estimatedTokens: tokens)], .openAI) }
            guard let rewritten = JSONModelRewriter.rewritingModel(in: body, to: route.upstreamModel, at: nil) else {
                throw .badRequest("'model' must be a top-level string.")
            }
            return ([Call(path: "/embeddings", body: rewritten, estimatedTokens: tokens)], .openAI)
        case .gemini:
            if let gemini {
                let path = GeminiPath.embeddings(model: route.upstreamModel, method: gemini.method)
                return ([Call(path: path, body: gemini.geminiBody(model: route.upstreamModel), estimatedTokens: tokens)], .gemini)
            }
            // Said plainly rather than answered wrongly: Gemini would embed the digits as text.
            if embeddings.isTokens {
                throw .badRequest(
                    "The model '\(embeddings.model)' is served by provider '\(provider.name)' (kind gemini), which embeds text, not token arrays: send 'input' as strings."
                )
            }
            let path = GeminiPath.embeddings(model: route.upstreamModel)
            let batches = GeminiEmbeddings.requests(embeddings, model: route.upstreamModel)
            return (batches.map { Call(path: path, body: $0.body.encoded, estimatedTokens: $0.estimatedTokens) }, .gemini)
        case .anthropic:
            throw .badRequest(
                "The model '\(embeddings.model)' is served by provider '\(provider.name)' (kind anthropic), which has no embeddings API.")
        }
    }
}
