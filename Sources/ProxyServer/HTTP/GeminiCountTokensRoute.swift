import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1
import ProxyEngine
import UpstreamTransport

/// `POST .../models/{model}:countTokens`: Gemini's own count from a `gemini` provider (the body
/// passed through), else the gateway's estimate (`TokenEstimate`) of the request's contents, as
/// `{"totalTokens": n}`, marked by `x-token-count: estimate`. Like `/v1/messages/count_tokens` it
/// takes no quota, its upstream answers never judge an account, and it holds one of the
/// credential's slots while it runs.
struct GeminiCountTokensRoute: Sendable {
    let gateway: Gateway
    let route: String
    let model: String

    func handle(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        var outcome = RequestOutcome(
            route: self.route, format: .gemini, started: .now, metrics: self.gateway.metrics, now: self.gateway.now)
        self.gateway.metrics.requestStarted()
        var request = request
        do {
            let principal = try await self.gateway.authenticator.authenticate(request.headers, now: self.gateway.now())
            let body = try await self.gateway.collectBody(of: &request)
            guard case .object(let parsed)? = JSONValue(parsing: body) else {
                throw GatewayError.badRequest("The request body is not valid JSON (an object is expected).")
            }
            // `contents`, or a whole `generateContentRequest` (with its system instruction and tools).
            guard case .object(var inner) = parsed["generateContentRequest"] ?? .object(parsed) else {
                throw GatewayError.badRequest("'generateContentRequest' must be an object.")
            }
            if (inner["contents"]?.arrayValue ?? []).isEmpty {
                // Nothing to count is zero, not a request the adapter refuses.
                inner["contents"] = .array([.object(["role": .string("user"), "parts": .array([.object(["text": .string("")])])])])
            }
            let route = try self.gateway.route(self.model, for: principal)
            guard let slot = self.gateway.tokenLimiter.acquire(principal.credentialID) else { throw self.gateway.tokenLimiter.refusal }
            defer { slot.release() }
            outcome.provider = route.provider.name
            outcome.modelLabel = route.configuredName
            let response: Response
            if route.provider.upstream.wireFormat == .gemini {
                response = try await self.exactCount(
                    parsed, body: body, route: route, request: request, context: context, outcome: &outcome)
            } else {
                let chat = try GeminiToChat.request(.object(inner), model: route.upstreamModel, stream: false)
                let messages = try OpenAIToAnthropic.request(chat, model: route.upstreamModel)
                var json = JSONWriter()
                json.append(#"{"totalTokens":"#)
                json.appendInt(TokenEstimate.inputTokens(ofMessagesRequest: messages))
                json.append("}")
                response = Response(
                    status: .ok, headers: [.contentType: "application/json", HTTPField.Name("x-token-count")!: "estimate"],
                    body: .init(byteBuffer: json.buffer))
            }
            await outcome.end(status: response.status.code, cause: .answered)
            return response
        } catch {
            return try await outcome.end(after: error, format: .gemini)
        }
    }

    /// The count from a `gemini` provider, its answer relayed. A `generateContentRequest` naming
    /// the model (`models/{alias}`) is given the upstream's name.
    private func exactCount(
        _ parsed: JSONObject, body: ByteBuffer, route: ModelRouter<ProviderRuntime>.Route, request: Request,
        context: GatewayRequestContext, outcome: inout RequestOutcome
    ) async throws -> Response {
        let provider = route.provider
        var upstreamBody = body
        if route.isAliased, case .object(var inner)? = parsed["generateContentRequest"], inner["model"] != nil {
            var rewritten = parsed
            inner["model"] = .string("models/" + route.upstreamModel)
            rewritten["generateContentRequest"] = .object(inner)
            upstreamBody = JSONValue.object(rewritten).encoded
        }
        return try await CountTokensRoute.relayCount(
            path: GeminiPath.countTokens(model: route.upstreamModel), body: upstreamBody, format: .gemini, provider: provider,
            gateway: self.gateway, request: request, context: context, outcome: &outcome)
    }
}
