import ProxyEngine

/// Who is calling, once their credential checked out.
struct Principal: Sendable {
    var user: String
    var tier: String
    /// What `TokenLimiter` counts against: one virtual key, or one session token.
    var credentialID: String
    /// The virtual key used, if it was one.
    var key: VirtualKey?

    /// What this caller's monthly quota is counted against: a key with a quota of its own, or
    /// else the user under their tier's quota.
    func quotaSubject(tiers: [String: QuotaTier]) -> (subject: String, limits: QuotaManager.Limits) {
        if let key = self.key, key.hasOwnQuota {
            return (
                "key:" + key.id,
                .init(
                    monthlyRequests: key.monthlyRequests ?? 0, monthlyTokens: key.monthlyTokens ?? 0,
                    monthlyMicrodollars: key.monthlyMicrodollars ?? 0)
            )
        }
        return ("user:" + self.user, (tiers[self.tier] ?? QuotaTier()).quotaLimits)
    }

    /// This caller as the limits count it.
    func admissionCaller(tiers: [String: QuotaTier]) -> Admission.Caller {
        let (subject, limits) = self.quotaSubject(tiers: tiers)
        return Admission.Caller(
            credential: self.credentialID, user: self.user, tier: tiers[self.tier] ?? QuotaTier(), quotaSubject: subject,
            quotaLimits: limits)
    }

    /// Whether this caller may ask for `model` (a key may be limited to some models).
    func allows(model: String) -> Bool { self.key?.allows(model: model) ?? true }
}
