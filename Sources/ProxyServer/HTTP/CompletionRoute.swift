import AsyncHTTPClient
import FoundationEssentials
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import ProxyEngine

/// `POST /v1/chat/completions` (OpenAI Chat Completions) and `POST /v1/messages` (Anthropic
/// Messages) to any provider, streaming or not. When the provider speaks the client's format the
/// body goes upstream as received except for an aliased model name, and the answer comes back as
/// received; otherwise both are translated (see `FormatBridge`).
struct CompletionRoute: Sendable {
    let gateway: Gateway
    /// The path this instance serves, the `route` label of its metrics.
    let route: String
    /// The format the route's clients speak.
    let format: APIFormat

    func handle(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let started = ContinuousClock.now
        var request = request
        var outcome = RequestOutcome(route: self.route, started: started, metrics: self.gateway.metrics)
        self.gateway.metrics.requestStarted()
        outcome.usageLog = self.gateway.usageLog
        var slot: ConcurrencySlot?
        var refund = AdmissionRefund()
        // Whether an upstream attempt began: until it does, a refusal is refunded.
        var attempted = false
        do {
            let principal = try await self.gateway.authenticator.authenticate(request.headers, now: self.gateway.now())
            let body = try await self.gateway.collectBody(of: &request)
            let summary = try CompletionRequestSummary(body: body)
            guard let route = self.gateway.router.route(model: summary.model) else {
                throw GatewayError.unknownModel(summary.model)
            }
            guard principal.allows(model: summary.model) else {
                throw GatewayError.modelNotAllowed(summary.model)
            }
            let provider = self.gateway.providers[route.provider]
            let bridge = FormatBridge(caller: self.format, upstream: provider.wireFormat ?? self.format)
            // Every check of the request itself comes before any limit counts it.
            var upstreamBody = try bridge.upstreamBody(body, upstreamModel: route.upstreamModel, isAliased: route.isAliased)
            slot = await self.gateway.tokenLimiter.acquire(principal.credentialID)
            guard slot != nil else { throw self.gateway.tokenLimiter.refusal }
            // Each limit below is an actor hop: skipped when it is not configured.
            let tier = self.gateway.config.quota.tiers[principal.tier] ?? QuotaTier()
            if tier.requestsPerMinute > 0 || tier.tokensPerMinute > 0 {
                try await self.gateway.minuteLimiter.admit(user: principal.user, tier: tier)
                if tier.requestsPerMinute > 0 { refund.minute = (self.gateway.minuteLimiter, principal.user) }
                if tier.tokensPerMinute > 0 { outcome.tokenWindow = (self.gateway.minuteLimiter, principal.user) }
            }
            let (quotaSubject, quotaLimits) = principal.quotaSubject(tiers: self.gateway.config.quota.tiers)
            if !quotaLimits.isUnlimited {
                try await self.gateway.quota.admit(subject: quotaSubject, limits: quotaLimits)
                outcome.quotaSubject = (self.gateway.quota, quotaSubject)
                refund.quota = (self.gateway.quota, quotaSubject)
            }
            let pacer = self.gateway.pacers[route.provider]
            var queueWait = 0.0
            if pacer.requestsPerSecond > 0 {
                let reservation = try await pacer.reserveStart()
                queueWait = reservation.wait
                if queueWait > 0 { refund.pacer = (pacer, reservation.start) }
            }
            let providerConfig = self.gateway.config.providers[route.provider]
            outcome.model = summary.model
            outcome.modelLabel = route.configuredName
            outcome.provider = provider.name
            var logger = context.logger
            logger.handler.metadata.merge(["model": .string(UsageRecord.capped(summary.model)), "provider": .string(provider.name)]) { $1 }
            // Usage of a stream is only reported if asked for: ask, and strip the answer back to
            // what the client asked for (see InjectedUsageStripper).
            let injectsUsage = bridge.isPassThrough && self.format == .openAI && summary.stream && !summary.hasStreamOptions
            if injectsUsage, let withUsage = JSONModelRewriter.addingIncludeUsage(to: upstreamBody) {
                upstreamBody = withUsage
            }
            outcome.user = principal.user
            outcome.keyID = principal.key?.id
            outcome.requestBytes = body.readableBytes
            let deadline = NIODeadline.now() + .nanoseconds(Int64(providerConfig.timeoutSeconds * 1e9))
            var call = UpstreamCall(
                path: bridge.upstreamPath,
                body: upstreamBody,
                headers: UpstreamHeaders.forwarded(from: request.headers, extra: self.gateway.forwardedHeaders[route.provider]),
                deadline: deadline
            )
            if bridge.upstream == .openAI {
                // An Anthropic client's version and beta flags mean nothing to an OpenAI upstream.
                call.headers.remove(name: "anthropic-version")
                call.headers.remove(name: "anthropic-beta")
            }
            let client = self.gateway.clientConnections.connection(for: context.channel)
            let exchange = UpstreamExchange(
                provider: provider,
                pool: self.gateway.pools[route.provider],
                metrics: self.gateway.metrics,
                maxRetries: providerConfig.maxRetries,
                firstByteTimeout: providerConfig.firstByteTimeoutSeconds,
                stream: summary.stream,
                session: request.headers[.xSessionID] ?? summary.sessionKey,
                logger: logger
            )
            let result: UpstreamExchange.Result
            do {
                if queueWait > 0 {
                    try await withRequestScope(deadline: deadline, client: client) {
                        try await Task.sleep(for: .nanoseconds(Int64(queueWait * 1e9)))
                    }
                }
                attempted = true
                // One scope for the whole exchange with the upstream, retries included (a
                // stream's body is read later, in the pump's own scope).
                result = try await withRequestScope(deadline: deadline, client: client) { try await exchange.run(call) }
            } catch is CancellationError {
                throw CancellationError()
            } catch is ClientHungUp {
                throw ClientHungUp()
            } catch {
                throw UpstreamFailure.classify(error, timeoutSeconds: providerConfig.timeoutSeconds, logger: logger)
            }
            let answer = result.answer
            outcome.timeToFirstByte = result.timeToFirstByte
            outcome.account = result.account
            let relay = UpstreamRelay(
                deadline: deadline,
                client: client,
                timeoutSeconds: providerConfig.timeoutSeconds,
                scrubber: SecretScrubber(secrets: provider.secrets),
                bridge: bridge,
                exposesRateLimits: providerConfig.exposeRateLimitHeaders,
                logger: logger
            )
            switch answer {
            case .stream(let upstream):
                let created = Int(Date().timeIntervalSince1970)
                let transform: SSEPump.Transform =
                    if let translator = bridge.streamTranslator(
                        model: route.upstreamModel, created: created, includeUsage: summary.includeUsage)
                    {
                        .translate(translator)
                    } else {
                        .passThrough(stripsInjectedUsage: injectsUsage)
                    }
                var reportsEnd: (@Sendable (_ succeeded: Bool) async -> Void)?
                if let pool = self.gateway.pools[route.provider], let index = result.accountIndex {
                    let metrics = self.gateway.metrics
                    reportsEnd = { succeeded in
                        let outcome: AccountPool.Outcome = succeeded ? .success(latencySeconds: 0) : .failed
                        let healthy = await pool.report(index, outcome, endsAttempt: false)
                        metrics.setAccountHealthy(provider: provider.name, account: pool.names[index], healthy: healthy)
                    }
                }
                let response = try relay.streamingResponse(
                    upstream, outcome: outcome, slot: slot, transform: transform, onStreamEnd: reportsEnd)
                // The stream's pump owns the slot from here and releases it when the stream ends.
                slot = nil
                return response
            case .whole(let upstream, let body) where upstream.status.code >= 400:
                let response = relay.errorResponse(upstream, body: body)
                await outcome.finish(status: response.status.code)
                await slot?.release()
                return response
            case .whole(let upstream, let body):
                let response = try relay.completeResponse(upstream, body: body)
                outcome.usage = TokenUsage.lastReported(in: body)
                outcome.answerBytes = response.body.contentLength ?? body.readableBytes
                await outcome.finish(status: response.status.code)
                await slot?.release()
                return response
            }
        } catch let error as GatewayError {
            // 503 comes only when no account could take a first attempt.
            if !attempted || error.status == 503 { await refund.perform() }
            await slot?.release()
            if error.status < 500 { self.gateway.metrics.rejected(reason: error.openAICode) }
            await outcome.finish(status: error.status)
            return .error(error, format: self.format)
        } catch is ClientHungUp {
            if !attempted { await refund.perform() }
            await slot?.release()
            // Nobody is left to read an answer; 499 is the de facto "client closed request".
            await outcome.finish(status: 499)
            return Response(status: .init(code: 499))
        } catch {
            await slot?.release()
            await outcome.finish(status: 499)
            throw error
        }
    }
}
