import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import ProxyEngine
import UpstreamTransport

/// `POST /v1/messages/count_tokens`: the exact count from an Anthropic provider, else the
/// gateway's estimate (`TokenEstimate`), marked by `x-token-count: estimate`. Counting is not a
/// completion: it takes no quota, and its upstream answers say nothing of the account's health.
/// It does hold one of the credential's concurrency slots while it runs, like any request.
struct CountTokensRoute: Sendable {
    let gateway: Gateway
    let format = APIFormat.anthropic

    static let route = "/v1/messages/count_tokens"

    /// Its life is a request's (`RequestOutcome`, one end) with nothing to settle: no admission
    /// ticket, no usage record; only its slot, held for the call.
    func handle(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        var outcome = RequestOutcome(
            route: Self.route, format: self.format, started: .now, metrics: self.gateway.metrics, now: self.gateway.now)
        self.gateway.metrics.requestStarted()
        var request = request
        do {
            let principal = try await self.gateway.authenticator.authenticate(request.headers, now: self.gateway.now())
            let body = try await self.gateway.collectBody(of: &request)
            let summary = try CompletionRequestSummary(body: body)
            let route = try self.gateway.route(summary.model, for: principal)
            guard let slot = self.gateway.tokenLimiter.acquire(principal.credentialID) else { throw self.gateway.tokenLimiter.refusal }
            defer { slot.release() }
            outcome.provider = route.provider.name
            outcome.modelLabel = route.configuredName
            let response =
                route.provider.upstream.wireFormat == .anthropic
                ? try await self.exactCount(
                    body: body, summary: summary, route: route, request: request, context: context, outcome: &outcome)
                : Self.estimate(body)
            await outcome.end(status: response.status.code, cause: .answered)
            return response
        } catch {
            return try await outcome.end(after: error, format: self.format)
        }
    }

    private static func estimate(_ body: ByteBuffer) -> Response {
        var json = JSONWriter()
        json.append(#"{"input_tokens":"#)
        json.appendInt(TokenEstimate.inputTokens(ofMessagesRequest: JSONValue(parsing: body) ?? .null))
        json.append("}")
        return Response(
            status: .ok,
            headers: [.contentType: "application/json", HTTPField.Name("x-token-count")!: "estimate"],
            body: .init(byteBuffer: json.buffer))
    }

    private func exactCount(
        body: ByteBuffer, summary: CompletionRequestSummary, route: ModelRouter<ProviderRuntime>.Route, request: Request,
        context: GatewayRequestContext,
        outcome: inout RequestOutcome
    ) async throws -> Response {
        var bridge = FormatBridge(caller: .anthropic, upstream: .anthropic)
        let upstreamBody = try bridge.upstreamBody(
            body, upstreamModel: route.upstreamModel, isAliased: route.isAliased, modelRange: summary.modelRange)
        return try await Self.relayCount(
            path: "/messages/count_tokens", body: upstreamBody, format: .anthropic, provider: route.provider, gateway: self.gateway,
            request: request, context: context, outcome: &outcome)
    }

    /// The provider's own count: `body` to `path`, in `format` both ways, its answer relayed
    /// whole. No account is judged by it: a count says nothing of whether the account serves.
    static func relayCount(
        path: String, body: ByteBuffer, format: APIFormat, provider: ProviderRuntime, gateway: Gateway, request: Request,
        context: GatewayRequestContext, outcome: inout RequestOutcome
    ) async throws -> Response {
        let call = UpstreamCall(
            path: path, body: body, headers: UpstreamHeaders.forwarded(from: request.headers, extra: provider.forwardedHeaders),
            deadline: .now() + .nanoseconds(Int64(provider.config.timeoutSeconds * 1e9)), eventLoop: context.channel.eventLoop)
        let exchange = UpstreamExchange(
            provider: provider, call: call, stream: false, session: nil, metrics: gateway.metrics, logger: context.logger,
            judgesAccount: false)
        let client = gateway.clientConnections.connection(for: context.channel)
        let result = try await exchange.run(after: 0, client: client) { outcome.attemptStarted() }
        outcome.answered(streamingOn: nil, latency: result.timeToFirstByte, isStream: false)
        let relay = UpstreamRelay(
            deadline: call.deadline, eventLoop: call.eventLoop, client: client, timeoutSeconds: provider.config.timeoutSeconds,
            scrubber: provider.scrubber, bridge: FormatBridge(caller: format, upstream: format),
            exposesRateLimits: provider.config.exposeRateLimitHeaders, logger: context.logger, now: provider.now)
        guard case .whole(let upstream, let answer) = result.answer else { throw GatewayError.upstreamFailed("Unexpected stream.") }
        return upstream.status.code >= 400
            ? relay.errorResponse(upstream, body: answer) : try relay.completeResponse(upstream, body: answer).0
    }
}
