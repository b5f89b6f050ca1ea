import AsyncHTTPClient
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import ProxyEngine

/// `POST /v1/messages/count_tokens`: the exact count from an Anthropic provider, else the
/// gateway's estimate (`TokenEstimate`), marked by `x-token-count: estimate`. Counting is not a
/// completion: it takes no quota, and its upstream answers say nothing of the account's health.
/// It does hold one of the credential's concurrency slots while it runs, like any request.
struct CountTokensRoute: Sendable {
    let gateway: Gateway
    let format = APIFormat.anthropic

    func handle(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        var request = request
        var slot: ConcurrencySlot?
        let response: Response
        do {
            let principal = try await self.gateway.authenticator.authenticate(request.headers, now: self.gateway.now())
            let body = try await self.gateway.collectBody(of: &request)
            let summary = try CompletionRequestSummary(body: body)
            guard let route = self.gateway.router.route(model: summary.model) else { throw GatewayError.unknownModel(summary.model) }
            guard principal.allows(model: summary.model) else {
                throw GatewayError.modelNotAllowed(summary.model)
            }
            slot = await self.gateway.tokenLimiter.acquire(principal.credentialID)
            guard slot != nil else { throw self.gateway.tokenLimiter.refusal }
            let provider = self.gateway.providers[route.provider]
            if provider.wireFormat == .anthropic {
                response = try await self.exactCount(body: body, route: route, provider: provider, request: request, context: context)
            } else {
                var json = JSONWriter()
                json.append(#"{"input_tokens":"#)
                json.appendInt(TokenEstimate.inputTokens(ofMessagesRequest: JSONValue(parsing: body) ?? .null))
                json.append("}")
                response = Response(
                    status: .ok,
                    headers: [.contentType: "application/json", HTTPField.Name("x-token-count")!: "estimate"],
                    body: .init(byteBuffer: json.buffer))
            }
        } catch let error as GatewayError {
            response = .error(error, format: self.format)
        } catch {
            await slot?.release()
            throw error
        }
        await slot?.release()
        return response
    }

    private func exactCount(
        body: ByteBuffer, route: ModelRouter.Route, provider: any UpstreamProvider, request: Request, context: GatewayRequestContext
    ) async throws -> Response {
        let providerConfig = self.gateway.config.providers[route.provider]
        let bridge = FormatBridge(caller: .anthropic, upstream: .anthropic)
        let upstreamBody = try bridge.upstreamBody(body, upstreamModel: route.upstreamModel, isAliased: route.isAliased)
        let deadline = NIODeadline.now() + .nanoseconds(Int64(providerConfig.timeoutSeconds * 1e9))
        let call = UpstreamCall(
            path: "/messages/count_tokens", body: upstreamBody,
            headers: UpstreamHeaders.forwarded(from: request.headers, extra: self.gateway.forwardedHeaders[route.provider]),
            deadline: deadline)
        let exchange = UpstreamExchange(
            provider: provider, pool: self.gateway.pools[route.provider], metrics: self.gateway.metrics,
            maxRetries: providerConfig.maxRetries, firstByteTimeout: providerConfig.firstByteTimeoutSeconds, stream: false, session: nil,
            logger: context.logger, judgesAccount: false)
        let client = self.gateway.clientConnections.connection(for: context.channel)
        let result: UpstreamExchange.Result
        do {
            result = try await withRequestScope(deadline: deadline, client: client) { try await exchange.run(call) }
        } catch let error as GatewayError {
            throw error
        } catch is ClientHungUp {
            return Response(status: .init(code: 499))
        } catch {
            throw UpstreamFailure.classify(error, timeoutSeconds: providerConfig.timeoutSeconds, logger: context.logger)
        }
        let relay = UpstreamRelay(
            deadline: deadline, client: client, timeoutSeconds: providerConfig.timeoutSeconds,
            scrubber: SecretScrubber(secrets: provider.secrets), bridge: bridge,
            exposesRateLimits: providerConfig.exposeRateLimitHeaders, logger: context.logger)
        guard case .whole(let upstream, let answer) = result.answer else { throw GatewayError.upstreamFailed("Unexpected stream.") }
        return upstream.status.code >= 400
            ? relay.errorResponse(upstream, body: answer) : try relay.completeResponse(upstream, body: answer)
    }
}
