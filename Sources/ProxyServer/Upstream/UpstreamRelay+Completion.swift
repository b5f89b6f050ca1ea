import Hummingbird
import Logging
import NIOHTTP1
import ProxyEngine
import UpstreamTransport

extension UpstreamRelay {
    init(plan: CompletionPlan, client: ClientConnection?, logger: Logger) {
        self.init(
            deadline: plan.call.deadline,
            eventLoop: plan.call.eventLoop,
            client: client,
            timeoutSeconds: plan.provider.config.timeoutSeconds,
            scrubber: plan.provider.scrubber,
            bridge: plan.bridge,
            exposesRateLimits: plan.provider.config.exposeRateLimitHeaders,
            logger: logger,
            now: plan.provider.now,
            clampedOutputTokens: plan.clampedOutputTokens
        )
    }

    /// The client's answer to a completion exchange. A whole answer ends `outcome` here; a
    /// stream hands it to its pump, which ends it when the stream ends.
    func response(to result: UpstreamExchange.Result, plan: CompletionPlan, outcome: inout RequestOutcome) async throws(GatewayError)
        -> Response
    {
        outcome.timeToFirstByte = result.timeToFirstByte
        outcome.account = result.account
        switch result.answer {
        case .stream(let upstream):
            var keep: (@Sendable (JSONValue) async -> Void)?
            let pin = Self.responsePin(plan: plan, account: result.lease?.account)
            if plan.responses != nil || pin != nil {
                keep = { [session = plan.responses] response in
                    await session?.keep(response)
                    await pin?(response)
                }
            }
            // The stream's account is judged when the stream ends.
            outcome.answered(streamingOn: result.lease, latency: result.timeToFirstByte, isStream: true)
            return try self.streamingResponse(upstream, outcome: outcome, transform: plan.streamTransform(), onResponseCompleted: keep)
        case .whole(let upstream, let body):
            outcome.answered(streamingOn: nil, latency: result.timeToFirstByte, isStream: false)
            let response: Response
            if upstream.status.code >= 400 {
                response = self.errorResponse(upstream, body: body)
            } else {
                let answer: ByteBuffer
                (response, answer) = try self.completeResponse(upstream, body: body)
                if plan.responses != nil || plan.pinsResponses, let kept = JSONValue(parsing: answer) {
                    await plan.responses?.keep(kept)
                    await Self.responsePin(plan: plan, account: result.lease?.account)?(kept)
                }
                outcome.usage = TokenUsage.lastReported(in: body, format: plan.bridge.upstream)
                outcome.answerBytes = response.body.contentLength ?? body.readableBytes
            }
            await outcome.end(status: response.status.code, cause: .answered)
            guard outcome.price != nil, response.status.code < 400 else { return response }
            var priced = response
            priced.headers[.xGatewayCostUSD] = Microdollars.dollars(outcome.microdollars)
            return priced
        }
    }

    /// Pins a native upstream's response to the account that made it, so that a request
    /// continuing it (`previous_response_id`) goes to that account.
    private static func responsePin(plan: CompletionPlan, account: Int?) -> (@Sendable (JSONValue) async -> Void)? {
        guard plan.pinsResponses, let pool = plan.provider.pool, let account else { return nil }
        return { response in
            guard let id = response["id"]?.stringValue else { return }
            pool.pin(CompletionPlan.responseSession(id), to: account)
        }
    }

}
