import Synchronization

/// Monthly quotas, decided in memory: no database round-trip on a request. Counts are written
/// behind (see `takeDirty`) and loaded back at start-up.
///
/// A request is counted when it is admitted, so concurrent requests can never overshoot a
/// request quota. A subject with a token quota or a dollar budget also reserves each request's
/// worst case at admission and settles it to what the upstream reported at its end
/// (`QuotaReservation`), so concurrent requests can never together spend past either.
///
/// Every admitted request passes here: the counts are a `Ledger` behind a `Mutex` (STYLE §2),
/// so that admission costs no actor hop.
public final class QuotaManager: Sendable {
    public struct Limits: Sendable, Equatable {
        /// 0 = unlimited, for all three.
        public var monthlyRequests: Int
        public var monthlyTokens: Int
        /// The dollar budget (`monthly_usd`), in micro-dollars.
        public var monthlyMicrodollars: Int
        public init(monthlyRequests: Int, monthlyTokens: Int, monthlyMicrodollars: Int = 0) {
            self.monthlyRequests = monthlyRequests
            self.monthlyTokens = monthlyTokens
            self.monthlyMicrodollars = monthlyMicrodollars
        }
        public var isUnlimited: Bool { self.monthlyRequests == 0 && !self.reserves }
        /// Whether a request reserves its worst case (a token quota or a budget).
        public var reserves: Bool { self.monthlyTokens > 0 || self.monthlyMicrodollars > 0 }
    }

    /// Counts of one month to write: absolute values, so writing one twice is harmless.
    public struct Batch: Sendable, Equatable {
        public var period: String
        public var usage: [String: Usage]
    }

    public struct Usage: Sendable, Equatable, Codable {
        public var requests: Int
        public var tokens: Int
        /// What the month's requests cost, in micro-dollars.
        public var microdollars: Int
        public init(requests: Int = 0, tokens: Int = 0, microdollars: Int = 0) {
            self.requests = requests
            self.tokens = tokens
            self.microdollars = microdollars
        }

        mutating func add(tokens: Int, microdollars: Int) {
            self.tokens = ModelPrice.saturatingAdd(self.tokens, max(0, tokens))
            self.microdollars = ModelPrice.saturatingAdd(self.microdollars, max(0, microdollars))
        }
    }

    /// What one admitted request holds of its subject's month: its count, and its reservation
    /// when the subject reserves (see `Limits.reserves`).
    public struct Grant: Sendable, Equatable {
        public var admitted: Admitted
        public var reservation: QuotaReservation?
        /// Where the reservation is held.
        public var place = ReservationPlace.local
        /// The month it was reserved in: one that has ended is not given back to the new one.
        public var period: String?

        public static let unlimited = Grant(admitted: .unlimited)

        public var isSharedReservation: Bool { if case .shared = self.place { true } else { false } }

        /// Whether the shared store holds some of it, to be given back at once.
        var holdsSharedAmounts: Bool {
            if case .shared(let tokens, let microdollars) = self.place { tokens > 0 || microdollars > 0 } else { false }
        }
    }

    public enum ReservationPlace: Sendable, Equatable {
        /// In this instance's memory (no shared store, or it was away).
        case local
        /// In the shared store: the amounts reserved there (0 for a limit the subject lacks).
        case shared(tokens: Int, microdollars: Int)
    }

    private let ledger: Mutex<Ledger>
    /// The store other instances share; nil when this process is the only one.
    public let shared: (any SharedLimits)?
    private let flushWanted: AsyncStream<Void>.Continuation
    /// Yields each time `flushEveryRequests` admissions have gone unflushed.
    public let flushRequests: AsyncStream<Void>

    public init(
        calendar: QuotaCalendar,
        flushEveryRequests: Int,
        loaded: (period: String, usage: [String: Usage])? = nil,
        shared: (any SharedLimits)? = nil,
        now: @escaping @Sendable () -> Double
    ) {
        self.shared = shared
        var ledger = Ledger(
            calendar: calendar, now: now, flushEveryRequests: max(1, flushEveryRequests), period: calendar.period(at: now()))
        ledger.isShared = shared != nil
        if let loaded, loaded.period == ledger.period.key {
            ledger.usage = loaded.usage
        }
        self.ledger = Mutex(ledger)
        (self.flushRequests, self.flushWanted) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// How an admitted request was counted, so that a refund undoes exactly that.
    public enum Admitted: Sendable, Equatable {
        case unlimited
        /// Counted in this instance's ledger, the only one (a store no other instance shares).
        case counted
        /// A unit of a lease this instance holds on the shared count.
        case leased
        /// Counted here without a lease: a token-only quota, or the shared store was away. The
        /// count is added to the store when it answers again.
        case unleased
    }

    /// Counts one request of `subject`, and reserves its worst case when the subject reserves
    /// (`demand` says what it asks; nil reserves a request of no prompt and no limit), or
    /// throws 402 if its quota or budget for this month cannot pay for it.
    @discardableResult
    public func admit(subject: String, limits: Limits, demand: QuotaReservation.Demand? = nil) async throws(GatewayError) -> Grant {
        guard !limits.isUnlimited else { return .unlimited }
        let admitted = try await self.admitRequest(subject: subject, limits: limits)
        guard limits.reserves else { return Grant(admitted: admitted) }
        let demand = demand ?? QuotaReservation.Demand(promptTokens: 0, requestedOutputTokens: nil, price: nil)
        do {
            return try await self.reserve(demand, subject: subject, limits: limits, admitted: admitted)
        } catch {
            self.refund(subject: subject, Grant(admitted: admitted))
            throw error
        }
    }

    /// Counts one request of `subject`, or throws 402 if its request quota is spent.
    ///
    /// With a shared store, a request takes a unit of this instance's lease on the subject's
    /// month; only when the lease is spent does it wait for the store (see `SharedLimits`).
    private func admitRequest(subject: String, limits: Limits) async throws(GatewayError) -> Admitted {
        guard let shared = self.shared else {
            let flushDue = try self.ledger.withLock { (ledger) throws(GatewayError) in try ledger.admit(subject: subject, limits: limits) }
            if flushDue { self.flushWanted.yield() }
            return .counted
        }
        let local = try self.ledger.withLock { (ledger) throws(GatewayError) in try ledger.admitFromLease(subject: subject, limits: limits)
        }
        let period: String
        switch local {
        case .admitted(let admitted): return admitted
        case .needsLease(let leasePeriod): period = leasePeriod
        }
        // The store away (known, or failing now): the last known count and a bounded allowance.
        guard shared.isAvailable, let lease = try? await shared.leaseQuota(subject: subject, period: period, limit: limits.monthlyRequests)
        else {
            return try self.ledger.withLock { (ledger) throws(GatewayError) in
                try ledger.admitWithoutStore(subject: subject, limits: limits)
            }
        }
        do {
            return try self.ledger.withLock { (ledger) throws(GatewayError) in
                try ledger.admit(subject: subject, limits: limits, lease: lease, period: period)
            }
        } catch {
            // Another instance may hold units it will not use: ask for them back, so that the
            // next request finds them.
            shared.quotaExhausted(subject: subject)
            throw error
        }
    }

    /// Reserves `demand`'s worst case: in this instance's ledger, or in the shared store, which
    /// answers what remains when it does not fit (another instance spent it), so that the
    /// next try is planned on the store's count.
    private func reserve(_ demand: QuotaReservation.Demand, subject: String, limits: Limits, admitted: Admitted) async throws(GatewayError)
        -> Grant
    {
        guard let shared = self.shared, shared.isAvailable else {
            return try self.reserveLocally(demand, subject: subject, limits: limits, admitted: admitted)
        }
        var remaining = self.ledger.withLock { $0.knownRemaining(subject: subject, limits: limits) }
        for _ in 0..<Self.sharedReservationAttempts {
            let reservation: QuotaReservation
            switch QuotaReservation.plan(demand, remainingTokens: remaining.tokens, remainingMicrodollars: remaining.microdollars) {
            case .success(let planned): reservation = planned
            case .failure(let shortfall): throw self.ledger.withLock { $0.refusal(shortfall, limits: limits) }
            }
            let period = self.ledger.withLock { ledger in
                ledger.rollIfNeeded()
                return ledger.period.key
            }
            let tokens = limits.monthlyTokens > 0 ? reservation.tokens : 0
            let microdollars = limits.monthlyMicrodollars > 0 ? reservation.microdollars : 0
            // Nothing to hold anywhere (a budget, and a model with no price).
            guard tokens > 0 || microdollars > 0 else {
                return Grant(admitted: admitted, reservation: reservation, place: .shared(tokens: 0, microdollars: 0), period: period)
            }
            let answer: SharedReservationAnswer
            do {
                answer = try await shared.reserve(
                    subject: subject, period: period, tokens: tokens, microdollars: microdollars, limits: limits)
            } catch {
                // The store went away: this instance's last knowledge of it, as for requests.
                return try self.reserveLocally(demand, subject: subject, limits: limits, admitted: admitted)
            }
            if answer.granted {
                return Grant(
                    admitted: admitted, reservation: reservation, place: .shared(tokens: tokens, microdollars: microdollars), period: period
                )
            }
            remaining = (
                limits.monthlyTokens > 0 ? answer.remainingTokens : nil, limits.monthlyMicrodollars > 0 ? answer.remainingMicrodollars : nil
            )
        }
        throw self.ledger.withLock {
            $0.refusal(
                limits.monthlyMicrodollars > 0
                    ? .microdollars(remaining: remaining.microdollars ?? 0) : .tokens(remaining: remaining.tokens ?? 0),
                limits: limits)
        }
    }

    private func reserveLocally(_ demand: QuotaReservation.Demand, subject: String, limits: Limits, admitted: Admitted)
        throws(GatewayError) -> Grant
    {
        try self.ledger.withLock { (ledger) throws(GatewayError) in
            let reservation = try ledger.reserve(demand, subject: subject, limits: limits)
            return Grant(admitted: admitted, reservation: reservation, period: ledger.period.key)
        }
    }

    /// How often a reservation is tried against the shared store, each planned on what it
    /// answered remains, before the request is refused.
    static let sharedReservationAttempts = 4

    /// Takes back what `admit` counted and reserved, when the gateway refused the request
    /// before any upstream attempt (a full queue, no account in rotation, a client that left
    /// while queued).
    public func refund(subject: String, _ grant: Grant) {
        let flushDue = self.ledger.withLock { $0.refund(subject: subject, grant) }
        if flushDue { self.flushWanted.yield() }
    }

    /// Takes back a count alone (see `refund(subject:_:)`).
    public func refund(subject: String, _ admitted: Admitted) {
        self.refund(subject: subject, Grant(admitted: admitted))
    }

    /// Adds what an answer of a subject that reserves nothing used.
    public func record(tokens: Int, microdollars: Int = 0, subject: String) {
        self.settle(Grant(admitted: .unlimited), tokens: tokens, microdollars: microdollars, subject: subject)
    }

    /// Adds what an answer of `subject` used (`tokens`, priced `microdollars`), settling its
    /// reservation: never charged past it. What was charged.
    @discardableResult
    public func settle(_ grant: Grant, tokens: Int, microdollars: Int, subject: String) -> (tokens: Int, microdollars: Int) {
        let charged = grant.reservation?.charge(tokens: tokens, microdollars: microdollars) ?? (max(0, tokens), max(0, microdollars))
        let flushDue = self.ledger.withLock { $0.settle(grant, charged: charged, subject: subject) }
        if flushDue { self.flushWanted.yield() }
        return charged
    }

    /// `subject`'s month as this instance knows it. With a shared store: the used counts as the
    /// store last answered (every instance's reports), plus what this instance has not written yet.
    public func usage(of subject: String) -> (usage: Usage, period: QuotaPeriod) {
        self.ledger.withLock { $0.usage(of: subject) }
    }

    /// With a shared store: writes this instance's unwritten counts and expired or reclaimed lease
    /// units (all of them when `returningAllLeases`, at shutdown), and learns the store's counts of
    /// those subjects and of `subjects`. A failed write keeps everything for the next call.
    public func synchronize(returningAllLeases: Bool = false, subjects: [String] = []) async throws {
        guard let shared = self.shared else { return }
        var reports = self.ledger.withLock { ledger in
            var reports = ledger.finishedReports
            ledger.finishedReports.removeAll()
            if let report = ledger.takeReport(returningAll: returningAllLeases, forcing: subjects) { reports.append(report) }
            return reports
        }
        while !reports.isEmpty {
            let report = reports[0]
            do {
                let counts = try await shared.report(report)
                self.ledger.withLock { $0.learn(counts, period: report.period) }
                reports.removeFirst()
            } catch {
                self.ledger.withLock { $0.restore(reports) }
                throw error
            }
        }
    }

    /// Another instance found `subject`'s month spent: this one gives back its unused units at
    /// the next `synchronize`, which it asks for now.
    public func reclaim(subject: String) {
        let hasUnits = self.ledger.withLock { ledger in
            guard ledger.leases[subject]?.unused ?? 0 > 0 else { return false }
            ledger.leases[subject]?.reclaimWanted = true
            return true
        }
        if hasUnits { self.flushWanted.yield() }
    }

    /// Every count changed since the last call, by month, to be written; they count as written
    /// now. A failed write hands them back with `restore`.
    public func takeDirty() -> [Batch] {
        self.ledger.withLock { $0.takeDirty() }
    }

    public func restore(_ batches: [Batch]) {
        self.ledger.withLock { $0.restore(batches) }
    }
}

/// The month's counts and what is still to be written: the state `QuotaManager` locks.
extension QuotaManager {
    struct Ledger {
        let calendar: QuotaCalendar
        let now: @Sendable () -> Double
        let flushEveryRequests: Int
        var period: QuotaPeriod
        var usage: [String: Usage] = [:]
        var dirty: Set<String> = []
        /// Unwritten counts of months that ended, kept until the flusher has them.
        var finished: [Batch] = []
        var admittedSinceFlush = 0
        /// Reservations of requests in flight, by subject (in this instance's memory: every
        /// one without a shared store, and those made while it was away).
        var reserved: [String: Reserved] = [:]
        /// With a shared store, each subject's lease and unwritten counts (`usage` and `dirty`
        /// stay empty: the store holds the counts).
        var isShared = false
        var leases: [String: Lease] = [:]
        /// Unwritten shared counts of months that ended.
        var finishedReports: [QuotaReport] = []

        init(calendar: QuotaCalendar, now: @escaping @Sendable () -> Double, flushEveryRequests: Int, period: QuotaPeriod) {
            self.calendar = calendar
            self.now = now
            self.flushEveryRequests = flushEveryRequests
            self.period = period
        }

        /// Counts one request of `subject`, or throws 402 if its quota for this month is spent.
        /// Whether a flush is due.
        mutating func admit(subject: String, limits: Limits) throws(GatewayError) -> Bool {
            self.rollIfNeeded()
            var current = self.usage[subject] ?? Usage()
            if limits.monthlyRequests > 0 && current.requests >= limits.monthlyRequests {
                throw .quotaExhausted(
                    "The monthly request quota (\(limits.monthlyRequests)) is used up; it resets on \(self.resetDescription).")
            }
            if limits.monthlyTokens > 0 && current.tokens >= limits.monthlyTokens {
                throw .quotaExhausted(
                    "The monthly token quota (\(limits.monthlyTokens)) is used up; it resets on \(self.resetDescription).")
            }
            current.requests += 1
            self.usage[subject] = current
            return self.markDirty(subject, admission: true)
        }

        /// What is left of `subject`'s token quota and budget as this instance knows it: its
        /// counts, less what requests in flight reserved.
        mutating func knownRemaining(subject: String, limits: Limits) -> (tokens: Int?, microdollars: Int?) {
            self.rollIfNeeded()
            let used: Usage
            var held = self.reserved[subject] ?? Reserved()
            if self.isShared, let lease = self.leases[subject] {
                used = lease.seenHere
                // What this instance released is in its unwritten usage already.
                held.tokens += max(0, lease.stored.reservedTokens - lease.released.tokens)
                held.microdollars += max(0, lease.stored.reservedMicrodollars - lease.released.microdollars)
            } else {
                used = self.isShared ? Usage() : self.usage[subject] ?? Usage()
            }
            return (
                limits.monthlyTokens > 0 ? limits.monthlyTokens - used.tokens - held.tokens : nil,
                limits.monthlyMicrodollars > 0 ? limits.monthlyMicrodollars - used.microdollars - held.microdollars : nil
            )
        }

        /// Reserves `demand` in this instance's memory, or throws the refusal.
        mutating func reserve(_ demand: QuotaReservation.Demand, subject: String, limits: Limits) throws(GatewayError)
            -> QuotaReservation
        {
            let remaining = self.knownRemaining(subject: subject, limits: limits)
            switch QuotaReservation.plan(demand, remainingTokens: remaining.tokens, remainingMicrodollars: remaining.microdollars) {
            case .success(let reservation):
                self.reserved[subject, default: Reserved()].add(reservation)
                return reservation
            case .failure(let shortfall):
                throw self.refusal(shortfall, limits: limits)
            }
        }

        func refusal(_ shortfall: QuotaReservation.Shortfall, limits: Limits) -> GatewayError {
            switch shortfall {
            case .tokens(let remaining):
                .quotaExhausted(
                    "The monthly token quota (\(limits.monthlyTokens)) cannot pay for this request: \(max(0, remaining)) token(s) remain; it resets on \(self.resetDescription)."
                )
            case .microdollars(let remaining):
                .budgetExceeded(limit: limits.monthlyMicrodollars, remaining: remaining, resets: self.resetDescription)
            }
        }

        /// Settles a request's grant with what it was charged. Whether a flush is due (a
        /// shared reservation is given back to the store at once).
        mutating func settle(_ grant: Grant, charged: (tokens: Int, microdollars: Int), subject: String) -> Bool {
            self.rollIfNeeded()
            self.release(grant, subject: subject)
            if self.isShared {
                self.leases[subject, default: Lease()].addSpend(tokens: charged.tokens, microdollars: charged.microdollars)
                return grant.holdsSharedAmounts
            }
            guard charged.tokens > 0 || charged.microdollars > 0 else { return false }
            self.usage[subject, default: Usage()].add(tokens: charged.tokens, microdollars: charged.microdollars)
            _ = self.markDirty(subject, admission: false)
            return false
        }

        /// Ends a grant's reservation, wherever it is held: of this month only (a month that
        /// ended took its reservations with it, see `rollIfNeeded`).
        private mutating func release(_ grant: Grant, subject: String) {
            guard let reservation = grant.reservation, grant.period == self.period.key else { return }
            switch grant.place {
            case .shared(let tokens, let microdollars):
                self.leases[subject, default: Lease()].release(tokens: tokens, microdollars: microdollars)
            case .local:
                // The entry stays (a subject's next request finds it): the month's end clears them.
                self.reserved[subject]?.remove(reservation)
            }
        }

        /// Whether a flush is due.
        mutating func refund(subject: String, _ grant: Grant) -> Bool {
            self.rollIfNeeded()
            self.release(grant, subject: subject)
            self.refund(subject: subject, grant.admitted)
            return grant.holdsSharedAmounts
        }

        mutating func refund(subject: String, _ admitted: Admitted) {
            self.rollIfNeeded()
            switch admitted {
            case .unlimited: return
            case .counted:
                guard let current = self.usage[subject], current.requests > 0 else { return }
                self.usage[subject]!.requests -= 1
                _ = self.markDirty(subject, admission: false)
            case .leased: self.leases[subject]?.giveBackUnit()
            case .unleased: self.leases[subject]?.takeBackUnleased()
            }
        }

        mutating func usage(of subject: String) -> (usage: Usage, period: QuotaPeriod) {
            self.rollIfNeeded()
            if self.isShared { return (self.leases[subject]?.seenHere ?? Usage(), self.period) }
            return (self.usage[subject] ?? Usage(), self.period)
        }

        mutating func takeDirty() -> [Batch] {
            self.rollIfNeeded()
            var batches = self.finished
            self.finished.removeAll()
            if !self.dirty.isEmpty {
                var current: [String: Usage] = [:]
                for subject in self.dirty { current[subject] = self.usage[subject] ?? Usage() }
                batches.append(Batch(period: self.period.key, usage: current))
            }
            self.dirty.removeAll(keepingCapacity: true)
            self.admittedSinceFlush = 0
            return batches
        }

        mutating func restore(_ reports: [QuotaReport]) {
            for report in reports {
                guard report.period == self.period.key else {
                    self.finishedReports.append(report)
                    continue
                }
                for (subject, entry) in report.entries { self.leases[subject, default: Lease()].restore(entry) }
            }
        }

        mutating func restore(_ batches: [Batch]) {
            for batch in batches {
                if batch.period == self.period.key {
                    self.dirty.formUnion(batch.usage.keys)
                } else {
                    self.finished.append(batch)
                }
            }
        }

        var resetDescription: String {
            let date = self.period.key.split(separator: "-").map(String.init)
            return "the 1st of the month after \(date.joined(separator: "-"))"
        }

        /// Whether `flushEveryRequests` admissions have now gone unflushed.
        private mutating func markDirty(_ subject: String, admission: Bool) -> Bool {
            self.dirty.insert(subject)
            guard admission else { return false }
            self.admittedSinceFlush += 1
            guard self.admittedSinceFlush >= self.flushEveryRequests else { return false }
            self.admittedSinceFlush = 0
            return true
        }

        /// A new month starts every count at zero; the old month's unwritten counts wait in
        /// `finished` for the flusher, so its totals stay exact in the store.
        mutating func rollIfNeeded() {
            let now = self.now()
            guard now >= self.period.resetsAt || now < self.period.startsAt else { return }
            if !self.dirty.isEmpty {
                var old: [String: Usage] = [:]
                for subject in self.dirty { old[subject] = self.usage[subject] ?? Usage() }
                self.finished.append(Batch(period: self.period.key, usage: old))
            }
            if let report = self.takeReport(returningAll: true, forcing: []) { self.finishedReports.append(report) }
            self.leases.removeAll()
            // A reservation of the month that ended settles into it; none is held in the new one.
            self.reserved.removeAll()
            self.period = self.calendar.period(at: now)
            self.usage.removeAll()
            self.dirty.removeAll()
            self.admittedSinceFlush = 0
        }
    }
}
