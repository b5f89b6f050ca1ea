/// Every limit a request passes before it may reach a provider, consulted in one synchronous
/// call: the credential's concurrency slot, the tier's per-minute windows and the monthly
/// quota. Each owner keeps its state behind its own `Mutex`, so admission costs no actor hop.
///
/// Checked in that order, and undone in reverse when a later one refuses: a refused request
/// holds nothing and is charged nothing.
public struct Admission: Sendable {
    public let tokenLimiter: TokenLimiter
    public let minuteLimiter: MinuteLimiter
    public let quota: QuotaManager

    public init(tokenLimiter: TokenLimiter, minuteLimiter: MinuteLimiter, quota: QuotaManager) {
        self.tokenLimiter = tokenLimiter
        self.minuteLimiter = minuteLimiter
        self.quota = quota
    }

    /// Who asks, as the limits count them.
    public struct Caller: Sendable {
        /// What the concurrency limit counts: one key or one session.
        public var credential: String
        public var user: String
        public var tier: QuotaTier
        /// What the monthly quota counts (a key with a quota of its own, or the user).
        public var quotaSubject: String
        public var quotaLimits: QuotaManager.Limits

        public init(credential: String, user: String, tier: QuotaTier, quotaSubject: String, quotaLimits: QuotaManager.Limits) {
            self.credential = credential
            self.user = user
            self.tier = tier
            self.quotaSubject = quotaSubject
            self.quotaLimits = quotaLimits
        }
    }

    /// Admits one request of `caller`, or throws the refusal (429 or 402).
    public func admit(_ caller: Caller) throws(GatewayError) -> AdmissionTicket {
        guard let slot = self.tokenLimiter.acquire(caller.credential) else { throw self.tokenLimiter.refusal }
        let tier = caller.tier
        let hasMinuteLimit = tier.requestsPerMinute > 0 || tier.tokensPerMinute > 0
        do {
            if hasMinuteLimit { try self.minuteLimiter.admit(user: caller.user, tier: tier) }
        } catch {
            slot.release()
            throw error
        }
        let isQuotaLimited = !caller.quotaLimits.isUnlimited
        do {
            if isQuotaLimited { try self.quota.admit(subject: caller.quotaSubject, limits: caller.quotaLimits) }
        } catch {
            if tier.requestsPerMinute > 0 { self.minuteLimiter.refund(user: caller.user) }
            slot.release()
            throw error
        }
        return AdmissionTicket(
            slot: slot,
            minute: hasMinuteLimit
                ? .init(
                    limiter: self.minuteLimiter, user: caller.user, countsRequests: tier.requestsPerMinute > 0,
                    countsTokens: tier.tokensPerMinute > 0) : nil,
            quota: isQuotaLimited ? .init(manager: self.quota, subject: caller.quotaSubject) : nil
        )
    }
}
