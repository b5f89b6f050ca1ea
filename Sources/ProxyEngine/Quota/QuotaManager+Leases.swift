/// The shared-store half of the ledger: each subject's lease on its month, and what this
/// instance counted that the store has not been told.
///
/// The store keeps two counts of a subject's month: `reserved`, every unit any instance has
/// leased (see `SharedLimits.leaseQuota`), which admission is bounded by, so the instances
/// together can never admit more than the limit while the store answers; and `used`, what the
/// instances report they admitted, which callers are shown. A unit leased and not used stays
/// reserved until it is given back: when its lease expires, when another instance is refused
/// (`reclaim`), and at shutdown.
extension QuotaManager {
    /// A lease unit not used within this long goes back to the store.
    public static let leaseLifetime = 30.0

    /// How many requests a subject may be admitted without a lease while the store is away, per
    /// outage and instance: a tenth of its monthly limit, at least 10, and never past the limit
    /// as last known.
    public static func offlineAllowance(limit: Int) -> Int { max(10, limit / 10) }

    /// What requests in flight reserved in this instance's memory.
    struct Reserved {
        var tokens = 0
        var microdollars = 0
        var isEmpty: Bool { self.tokens <= 0 && self.microdollars <= 0 }

        mutating func add(_ reservation: QuotaReservation) {
            self.tokens += reservation.tokens
            self.microdollars += reservation.microdollars
        }

        mutating func remove(_ reservation: QuotaReservation) {
            self.tokens = max(0, self.tokens - reservation.tokens)
            self.microdollars = max(0, self.microdollars - reservation.microdollars)
        }
    }

    struct Lease {
        /// The subject's month as the store last answered.
        var stored = SharedQuotaCounts(reserved: 0, used: Usage())
        var unused = 0
        var grantedAt = 0.0
        /// Units of the lease admitted since the last report.
        var consumedUnwritten = 0
        /// Admitted without a lease (a token-only quota, or the store was away): to add.
        var unwrittenRequests = 0
        var unwrittenTokens = 0
        var unwrittenMicrodollars = 0
        /// Shared reservations settled or refunded since the last report: to take off the
        /// store's reserved counts.
        var released = Reserved()
        /// Admitted without a lease during the current outage.
        var admittedWhileAway = 0
        var reclaimWanted = false

        /// What this instance shows: the store's counts (as every instance last reported
        /// them) plus what this one has not written yet.
        var seenHere: Usage {
            Usage(
                requests: self.stored.used.requests + self.consumedUnwritten + self.unwrittenRequests,
                tokens: self.stored.used.tokens + self.unwrittenTokens,
                microdollars: self.stored.used.microdollars + self.unwrittenMicrodollars)
        }

        /// Whether there is anything to report.
        var hasUnwritten: Bool {
            self.consumedUnwritten > 0 || self.unwrittenRequests > 0 || self.unwrittenTokens > 0 || self.unwrittenMicrodollars > 0
                || !self.released.isEmpty
        }

        mutating func takeUnit() {
            self.unused -= 1
            self.consumedUnwritten += 1
        }

        mutating func giveBackUnit() {
            self.unused += 1
            if self.consumedUnwritten > 0 { self.consumedUnwritten -= 1 }
        }

        mutating func addSpend(tokens: Int, microdollars: Int) {
            self.unwrittenTokens = ModelPrice.saturatingAdd(self.unwrittenTokens, max(0, tokens))
            self.unwrittenMicrodollars = ModelPrice.saturatingAdd(self.unwrittenMicrodollars, max(0, microdollars))
        }

        mutating func release(tokens: Int, microdollars: Int) {
            self.released.tokens += tokens
            self.released.microdollars += microdollars
        }

        mutating func takeBackUnleased() {
            if self.unwrittenRequests > 0 { self.unwrittenRequests -= 1 }
            if self.admittedWhileAway > 0 { self.admittedWhileAway -= 1 }
        }

        mutating func restore(_ entry: QuotaReport.Entry) {
            self.consumedUnwritten += entry.consumed
            self.unwrittenRequests += entry.requests
            self.addSpend(tokens: entry.tokens, microdollars: entry.microdollars)
            self.released.tokens += entry.releasedTokens
            self.released.microdollars += entry.releasedMicrodollars
            self.unused += entry.returnedUnits
        }
    }

    enum LeaseCheck {
        case admitted(Admitted)
        /// No unit left: lease more from the store, for this month.
        case needsLease(period: String)
    }
}

extension QuotaManager.Ledger {
    typealias Usage = QuotaManager.Usage

    /// Admits from this instance's lease when it has a unit left.
    mutating func admitFromLease(subject: String, limits: QuotaManager.Limits) throws(GatewayError) -> QuotaManager.LeaseCheck {
        self.rollIfNeeded()
        var lease = self.leases[subject] ?? QuotaManager.Lease()
        defer { self.leases[subject] = lease }
        try self.checkTokens(lease.seenHere, limits: limits)
        if limits.monthlyRequests == 0 {
            lease.unwrittenRequests += 1
            return .admitted(.unleased)
        }
        guard lease.unused > 0 else { return .needsLease(period: self.period.key) }
        lease.takeUnit()
        return .admitted(.leased)
    }

    /// Adds the units the store granted and admits with one of them.
    mutating func admit(subject: String, limits: QuotaManager.Limits, lease grant: QuotaLease, period: String) throws(GatewayError)
        -> QuotaManager.Admitted
    {
        self.rollIfNeeded()
        // A grant of the month that just ended is void; its units return with that month's count.
        guard period == self.period.key else { throw self.requestQuotaSpent(limits) }
        var lease = self.leases[subject] ?? QuotaManager.Lease()
        defer { self.leases[subject] = lease }
        // A lease answers the request counts; the spend counts come with reports.
        lease.stored.reserved = grant.counts.reserved
        lease.stored.used.requests = grant.counts.used.requests
        lease.stored.used.tokens = grant.counts.used.tokens
        lease.admittedWhileAway = 0
        if grant.granted > 0 {
            lease.unused += grant.granted
            lease.grantedAt = self.now()
        }
        guard lease.unused > 0 else { throw self.requestQuotaSpent(limits) }
        lease.takeUnit()
        return .leased
    }

    /// The store is away: admits from the last known count, within `offlineAllowance`.
    mutating func admitWithoutStore(subject: String, limits: QuotaManager.Limits) throws(GatewayError) -> QuotaManager.Admitted {
        self.rollIfNeeded()
        var lease = self.leases[subject] ?? QuotaManager.Lease()
        defer { self.leases[subject] = lease }
        if lease.unused > 0 {
            lease.takeUnit()
            return .leased
        }
        let known = max(lease.stored.reserved + lease.unwrittenRequests, lease.seenHere.requests)
        guard known < limits.monthlyRequests, lease.admittedWhileAway < QuotaManager.offlineAllowance(limit: limits.monthlyRequests)
        else { throw self.requestQuotaSpent(limits) }
        lease.admittedWhileAway += 1
        lease.unwrittenRequests += 1
        return .unleased
    }

    /// What to write: every subject with unwritten counts, units to give back (expired,
    /// reclaimed, or all of them), and the `forcing` subjects, to learn their counts.
    mutating func takeReport(returningAll: Bool, forcing: [String]) -> QuotaReport? {
        let now = self.now()
        var entries: [String: QuotaReport.Entry] = [:]
        for (subject, var lease) in self.leases {
            let expired = now - lease.grantedAt >= QuotaManager.leaseLifetime
            let returned = (returningAll || expired || lease.reclaimWanted) ? lease.unused : 0
            guard lease.hasUnwritten || returned > 0 else { continue }
            entries[subject] = QuotaReport.Entry(
                consumed: lease.consumedUnwritten, requests: lease.unwrittenRequests, tokens: lease.unwrittenTokens,
                returnedUnits: returned, microdollars: lease.unwrittenMicrodollars, releasedTokens: lease.released.tokens,
                releasedMicrodollars: lease.released.microdollars)
            lease.consumedUnwritten = 0
            lease.unwrittenRequests = 0
            lease.unwrittenTokens = 0
            lease.unwrittenMicrodollars = 0
            lease.released = QuotaManager.Reserved()
            lease.unused -= returned
            lease.reclaimWanted = false
            self.leases[subject] = lease
        }
        for subject in forcing where entries[subject] == nil { entries[subject] = QuotaReport.Entry() }
        return entries.isEmpty ? nil : QuotaReport(period: self.period.key, entries: entries)
    }

    /// The store's counts after a report.
    mutating func learn(_ counts: [String: SharedQuotaCounts], period: String) {
        guard period == self.period.key else { return }
        for (subject, usage) in counts {
            self.leases[subject, default: QuotaManager.Lease()].stored = usage
            self.leases[subject]?.admittedWhileAway = 0
        }
    }

    private func checkTokens(_ usage: Usage, limits: QuotaManager.Limits) throws(GatewayError) {
        if limits.monthlyTokens > 0 && usage.tokens >= limits.monthlyTokens {
            throw .quotaExhausted("The monthly token quota (\(limits.monthlyTokens)) is used up; it resets on \(self.resetDescription).")
        }
    }

    private func requestQuotaSpent(_ limits: QuotaManager.Limits) -> GatewayError {
        .quotaExhausted("The monthly request quota (\(limits.monthlyRequests)) is used up; it resets on \(self.resetDescription).")
    }
}
