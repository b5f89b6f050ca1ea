import Logging
import NIOCore
import NIOHTTP1
import ProxyEngine
import UpstreamTransport

/// One request's exchange with a provider: an account from the pool, the call, and, when the
/// account fails (connection refused or dropped, 5xx, 429, 401/403), another attempt on another
/// account after an exponential backoff with full jitter, up to `max_retries`. All of it happens
/// before the first byte reaches the client, so a retry is never visible in the answer.
struct UpstreamExchange {
    struct Result: Sendable {
        var answer: UpstreamAnswer
        var timeToFirstByte: Duration
        var account: String
        /// The attempt's hold on its account (nil without a pool): a whole answer's verdict is
        /// given; a stream's is given by the stream's end.
        var lease: AccountLease?
    }

    /// The upstream's response head did not come within the first-byte timeout.
    struct FirstByteTimeout: Error {
        let seconds: Double
    }

    let provider: any UpstreamProvider
    let pool: AccountPool?
    let metrics: GatewayMetrics
    let maxRetries: Int
    /// See `ProviderConfig.firstByteTimeoutSeconds`; 0 = none.
    let firstByteTimeout: Double
    let stream: Bool
    /// Keeps a conversation on one account (Anthropic's `metadata.user_id`, or a header).
    let session: String?
    let logger: Logger
    /// Whether the answers judge the account's health. Not for side calls such as
    /// `count_tokens`: a burst of them must not put a shared account in cooldown for everyone.
    let judgesAccount: Bool
    /// The gateway's clock, in unix seconds (a rate limit's reset time is a date).
    let now: @Sendable () -> Double

    /// The call `plan` makes.
    let call: UpstreamCall
    /// The provider's `timeout_seconds`, named in a 504.
    let timeoutSeconds: Double

    init(
        provider: ProviderRuntime, call: UpstreamCall, stream: Bool, session: String?, metrics: GatewayMetrics, logger: Logger,
        judgesAccount: Bool = true
    ) {
        self.provider = provider.upstream
        self.pool = provider.pool
        self.metrics = metrics
        self.maxRetries = provider.config.maxRetries
        self.firstByteTimeout = provider.config.firstByteTimeoutSeconds
        self.timeoutSeconds = provider.config.timeoutSeconds
        self.stream = stream
        self.session = session
        self.logger = logger
        self.judgesAccount = judgesAccount
        self.now = provider.now
        self.call = call
    }

    init(plan: CompletionPlan, metrics: GatewayMetrics, logger: Logger) {
        self.init(
            provider: plan.provider, call: plan.call, stream: plan.summary.stream,
            session: plan.session, metrics: metrics, logger: logger)
    }

    /// Waits `queueWait` seconds (the provider's pacing), tells `onAttempt` that the upstream is
    /// about to be asked, and runs the exchange: all within the call's deadline and while its
    /// client stays. Transport failures come out as the `GatewayError` a client sees.
    func run(after queueWait: Double, client: ClientConnection?, onAttempt: () -> Void) async throws -> Result {
        do {
            if queueWait > 0 {
                try await withRequestScope(deadline: self.call.deadline, client: client, on: self.call.eventLoop) {
                    try await Task.sleep(for: .nanoseconds(Int64(queueWait * 1e9)))
                }
            }
            onAttempt()
            // One scope for the whole exchange with the upstream, retries included (a stream's
            // body is read later, in the pump's own scope).
            return try await withRequestScope(deadline: self.call.deadline, client: client, on: self.call.eventLoop) {
                try await self.run(self.call)
            }
        } catch is CancellationError {
            throw CancellationError()
        } catch is ClientHungUp {
            throw ClientHungUp()
        } catch {
            throw UpstreamFailure.classify(error, timeoutSeconds: self.timeoutSeconds, logger: self.logger)
        }
    }

    func run(_ call: UpstreamCall) async throws -> Result {
        var call = call
        var tried: Set<Int> = []
        var lastAnswer: Result?
        var lastError: (any Error)?
        let policy = RetryPolicy(maxRetries: self.maxRetries, hasPool: self.pool != nil)
        for attempt in 0...self.maxRetries {
            if attempt > 0 {
                self.metrics.upstreamRetried(provider: self.provider.name)
                let ceiling = RetryPolicy.backoffCeiling(beforeAttempt: attempt)
                try await Task.sleep(for: .nanoseconds(Int64(Double.random(in: 0...ceiling) * 1e9)))
            }
            var lease: AccountLease?
            if let pool = self.pool {
                lease = pool.select(excluding: tried, session: self.session, attempt: attempt)
                guard let lease else { break }
                tried.insert(lease.account)
                call.account = self.provider.accounts[lease.account]
            }
            let sent = ContinuousClock.now
            let response: UpstreamResponse
            do {
                response = try await self.send(call)
            } catch let error where Self.isAccountFailure(error) {
                // An OAuth account that cannot get a token stays out until an operator acts.
                self.end(lease, error is OAuthRefreshFailed ? .refused : .failed)
                self.logger.warning(
                    "upstream attempt failed",
                    metadata: [
                        "account": "\(call.account?.name ?? "-")", "attempt": "\(attempt + 1)",
                        // The type only: an error's text can quote a URL or a header.
                        "error": "\(error is UpstreamTransportError ? "\(error)" : String(reflecting: type(of: error)))",
                    ])
                lastError = error
                if !policy.hasPool { throw Self.clientFacing(error, attempts: attempt + 1) }
                continue
            } catch {
                // Cut short by the client or the deadline: the attempt ends without a verdict,
                // or a half-open account would stay "probing" for good.
                self.end(lease, .cancelled)
                throw error
            }
            let firstByte = sent.duration(to: .now)
            self.metrics.upstreamFirstByte(provider: self.provider.name, after: firstByte)
            let status = Int(response.status.code)
            var verdict = Self.verdict(status: status, response: response, latency: firstByte, now: self.now(), logger: self.logger)
            let answer: UpstreamAnswer
            do {
                answer = try await UpstreamAnswer.read(response, stream: self.stream)
            } catch let error where Self.isAccountFailure(error) {
                // A head and then a broken body is one failure, not a success and a failure.
                self.end(lease, .failed)
                lastError = error
                if !policy.hasPool { throw Self.clientFacing(error, attempts: attempt + 1) }
                continue
            } catch {
                self.end(lease, .cancelled)
                throw error
            }
            if case .rateLimited = verdict, case .whole(_, let body) = answer,
                let wait = Self.bodysWait(response, body: body, now: self.now())
            {
                verdict = .rateLimited(retryAfterSeconds: wait)
            }
            // A stream's verdict is its end's: the lease goes on with it, to the pump.
            if case .whole = answer { self.end(lease, verdict) }
            let result = Result(answer: answer, timeToFirstByte: firstByte, account: call.account?.name ?? "", lease: lease)
            switch policy.decision(after: verdict, attempt: attempt) {
            case .relay: return result
            case .tryAnother: lastAnswer = result
            }
        }
        // Every attempt failed, or no account was left to try: the last upstream answer is
        // relayed as it came; a transport failure is a 502; no account at all, 503.
        if let lastAnswer { return lastAnswer }
        if let lastError { throw Self.clientFacing(lastError, attempts: tried.count) }
        throw GatewayError.noHealthyAccount("No healthy upstream account can serve this request now; try again shortly.")
    }

    /// One attempt. With a first-byte timeout it races a timer; the loser is cancelled, which
    /// aborts the upstream request. Without one, no task is added.
    private func send(_ call: UpstreamCall) async throws -> UpstreamResponse {
        let send = { @Sendable [provider, logger] () async throws -> UpstreamResponse in
            try await provider.send(call, logger: logger)
        }
        guard self.firstByteTimeout > 0 else { return try await send() }
        let timeout = self.firstByteTimeout
        return try await withThrowingTaskGroup(of: UpstreamResponse?.self) { group in
            group.addTask { try await send() }
            group.addTask {
                try await Task.sleep(for: .nanoseconds(Int64(timeout * 1e9)))
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let response = first else { throw FirstByteTimeout(seconds: timeout) }
            return response
        }
    }

    /// The error a client sees for the last failed attempt (a transport error is classified
    /// by the route; a first-byte timeout is a 504 here).
    static func clientFacing(_ error: any Error, attempts: Int) -> any Error {
        guard let timeout = error as? FirstByteTimeout else { return error }
        return GatewayError.upstreamFirstByteTimeout(seconds: timeout.seconds, attempts: attempts)
    }

    /// What an answer's status says about the account that gave it (`AccountVerdict.of`).
    static func verdict(status: Int, response: UpstreamResponse, latency: Duration, now: Double, logger: Logger) -> AccountVerdict {
        let verdict = AccountVerdict.of(
            status: status, headers: status == 429 ? response.headers.map { (name: $0.name, value: $0.value) } : [],
            latencySeconds: latency.seconds, now: now)
        if case .rateLimited(let seconds) = verdict, seconds >= RateLimitReset.longestSeconds {
            logger.warning("upstream asked for a cooldown of a day or more; clamped to a day")
        }
        return verdict
    }

    /// A 429's wait from its body when its headers give none (Gemini's `RetryInfo`).
    static func bodysWait(_ response: UpstreamResponse, body: ByteBuffer, now: Double) -> Double? {
        let headers = response.headers.map { (name: $0.name, value: $0.value) }
        guard RateLimitReset.seconds(from: headers, now: now) == nil else { return nil }
        return RateLimitReset.seconds(fromGoogleErrorBody: body)
    }

    /// Transport failures that say the account's upstream is unwell; cancellation, the client
    /// leaving and the request deadline are not the account's fault.
    static func isAccountFailure(_ error: any Error) -> Bool {
        !(error is CancellationError || error is ClientHungUp || error is DeadlineExceeded || error is GatewayError)
    }

    private func end(_ lease: AccountLease?, _ verdict: AccountVerdict) {
        guard let lease, let healthy = lease.end(self.judgesAccount ? verdict : .cancelled) else { return }
        self.metrics.setAccountHealthy(provider: self.provider.name, account: lease.name, healthy: healthy)
    }
}
