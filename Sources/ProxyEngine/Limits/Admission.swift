/// Every limit a request passes before it may reach a provider, consulted in one call: the
/// credential's concurrency slot, the tier's per-minute windows and the monthly quota. Each
/// owner keeps its state behind its own `Mutex`, so admission costs no actor hop; with a store
/// other instances share (`SharedLimits`), a limit that is configured also costs one round trip
/// to it, and a quota lease another now and then.
///
/// Checked in that order, and undone in reverse when a later one refuses: a refused request
/// holds nothing and is charged nothing.
public struct Admission: Sendable {
    public let tokenLimiter: TokenLimiter
    public let minuteLimiter: MinuteLimiter
    public let quota: QuotaManager
    public let shared: (any SharedLimits)?

    public init(tokenLimiter: TokenLimiter, minuteLimiter: MinuteLimiter, quota: QuotaManager, shared: (any SharedLimits)? = nil) {
        self.tokenLimiter = tokenLimiter
        self.minuteLimiter = minuteLimiter
        self.quota = quota
        self.shared = shared
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

    /// Admits one request of `caller`, or throws the refusal (429 or 402). `demand` is what the
    /// request may cost, reserved when the caller has a token quota or a budget.
    ///
    /// This instance's own limits come first: what they refuse, the shared ones would too (an
    /// instance's count is part of the shared count), so a refusal costs no round trip.
    public func admit(_ caller: Caller, demand: QuotaReservation.Demand? = nil) async throws(GatewayError) -> AdmissionTicket {
        guard let slot = self.tokenLimiter.acquire(caller.credential) else { throw self.tokenLimiter.refusal }
        let tier = caller.tier
        let hasMinuteLimit = tier.requestsPerMinute > 0 || tier.tokensPerMinute > 0
        do {
            if hasMinuteLimit { try self.minuteLimiter.admit(user: caller.user, tier: tier) }
        } catch {
            slot.release()
            throw error
        }
        let minute =
            hasMinuteLimit
            ? AdmissionTicket.MinuteWindow(
                limiter: self.minuteLimiter, user: caller.user, countsRequests: tier.requestsPerMinute > 0,
                countsTokens: tier.tokensPerMinute > 0) : nil
        let sharedLease: SharedLease?
        do {
            sharedLease = try await self.admitShared(caller)
        } catch {
            minute?.refund()
            slot.release()
            throw error
        }
        let isQuotaLimited = !caller.quotaLimits.isUnlimited
        let quota: AdmissionTicket.QuotaCount?
        do {
            quota =
                isQuotaLimited
                ? .init(
                    manager: self.quota, subject: caller.quotaSubject,
                    grant: try await self.quota.admit(subject: caller.quotaSubject, limits: caller.quotaLimits, demand: demand)) : nil
        } catch {
            sharedLease?.release(refundingMinute: true)
            minute?.refund()
            slot.release()
            throw error
        }
        return AdmissionTicket(slot: slot, minute: minute, quota: quota, shared: sharedLease)
    }

    /// The shared slot and minute windows, when the caller has such a limit and the store
    /// answers; while it is away, this instance's own limits stand alone.
    private func admitShared(_ caller: Caller) async throws(GatewayError) -> SharedLease? {
        guard let shared = self.shared else { return nil }
        let request = SharedAdmissionRequest(
            credential: caller.credential, concurrencyLimit: self.tokenLimiter.limit, user: caller.user,
            requestsPerMinute: caller.tier.requestsPerMinute, tokensPerMinute: caller.tier.tokensPerMinute)
        guard request.hasLimit, shared.isAvailable else { return nil }
        let decision: SharedAdmissionDecision
        do {
            decision = try await shared.admit(request)
        } catch {
            return nil
        }
        switch decision {
        case .admitted(let id):
            return SharedLease(id: id, limits: shared, user: caller.user, countsTokens: caller.tier.tokensPerMinute > 0)
        case .concurrencyFull:
            throw .concurrencyFull(limit: request.concurrencyLimit)
        case .requestsPerMinute(let wait):
            throw .requestsPerMinuteReached(retryAfterSeconds: wait)
        case .tokensPerMinute(let wait):
            throw .tokensPerMinuteReached(retryAfterSeconds: wait)
        }
    }
}
