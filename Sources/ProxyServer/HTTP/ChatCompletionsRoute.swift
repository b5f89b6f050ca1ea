import HTTPTypes
import AsyncHTTPClient
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import ProxyEngine

/// `POST /v1/chat/completions` (and `/chat/completions`): OpenAI Chat Completions to any
/// OpenAI-compatible provider, streaming or not. The body goes upstream as received except for
/// an aliased model name; the answer comes back as received.
struct ChatCompletionsRoute: Sendable {
    let gateway: Gateway
    let format = APIFormat.openAI

    func handle(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        var request = request
        do {
            let body = try await self.gateway.collectBody(of: &request)
            let summary = try ChatCompletionRequestSummary(body: body)
            guard let route = self.gateway.router.route(model: summary.model) else {
                throw GatewayError.unknownModel(summary.model)
            }
            var upstreamBody = body
            if route.isAliased {
                guard let rewritten = JSONModelRewriter.rewritingModel(in: body, to: route.upstreamModel) else {
                    throw GatewayError.badRequest("'model' must be a top-level string.")
                }
                upstreamBody = rewritten
            }
            let provider = self.gateway.providers[route.provider]
            let providerConfig = self.gateway.config.providers[route.provider]
            var logger = context.logger
            logger[metadataKey: "model"] = .string(summary.model)
            logger[metadataKey: "provider"] = .string(provider.name)
            let deadline = NIODeadline.now() + .nanoseconds(Int64(providerConfig.timeoutSeconds * 1e9))
            let call = UpstreamCall(
                path: "/chat/completions",
                body: upstreamBody,
                headers: UpstreamHeaders.forwarded(from: request.headers),
                deadline: deadline
            )
            let client = self.gateway.clientConnections.connection(for: context.channel)
            let upstream: HTTPClientResponse
            do {
                upstream = try await withRequestScope(deadline: deadline, client: client) {
                    try await provider.sendRetryingStaleConnection(call, logger: logger)
                }
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                throw UpstreamFailure.classify(error, timeoutSeconds: providerConfig.timeoutSeconds, logger: logger)
            }
            let relay = UpstreamRelay(
                response: upstream,
                deadline: deadline,
                client: client,
                timeoutSeconds: providerConfig.timeoutSeconds,
                scrubber: SecretScrubber(secrets: provider.secrets),
                format: self.format,
                logger: logger
            )
            if upstream.status.code >= 400 {
                return try await relay.errorResponse()
            }
            if summary.stream {
                return try await relay.streamingResponse()
            }
            return try await relay.completeResponse()
        } catch let error as GatewayError {
            return .error(error, format: self.format)
        }
    }
}
