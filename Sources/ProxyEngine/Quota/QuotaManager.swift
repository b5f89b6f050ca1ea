import Synchronization

/// Monthly quotas, decided in memory: no database round-trip on a request. Counts are written
/// behind (see `takeDirty`) and loaded back at start-up.
///
/// A request is counted when it is admitted, so concurrent requests can never overshoot a
/// request quota; tokens are added when the upstream reports them, so a token quota stops a
/// subject once its reported usage has crossed the limit.
///
/// Every admitted request passes here: the counts are a `Ledger` behind a `Mutex` (STYLE §2),
/// so that admission costs no actor hop.
public final class QuotaManager: Sendable {
    public struct Limits: Sendable, Equatable {
        /// 0 = unlimited, for both.
        public var monthlyRequests: Int
        public var monthlyTokens: Int
        public init(monthlyRequests: Int, monthlyTokens: Int) {
            self.monthlyRequests = monthlyRequests
            self.monthlyTokens = monthlyTokens
        }
        public var isUnlimited: Bool { self.monthlyRequests == 0 && self.monthlyTokens == 0 }
    }

    /// Counts of one month to write: absolute values, so writing one twice is harmless.
    public struct Batch: Sendable, Equatable {
        public var period: String
        public var usage: [String: Usage]
    }

    public struct Usage: Sendable, Equatable, Codable {
        public var requests: Int
        public var tokens: Int
        public init(requests: Int = 0, tokens: Int = 0) {
            self.requests = requests
            self.tokens = tokens
        }
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

    /// Counts one request of `subject`, or throws 402 if its quota for this month is spent.
    ///
    /// With a shared store, a request takes a unit of this instance's lease on the subject's
    /// month; only when the lease is spent does it wait for the store (see `SharedLimits`).
    @discardableResult
    public func admit(subject: String, limits: Limits) async throws(GatewayError) -> Admitted {
        guard !limits.isUnlimited else { return .unlimited }
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

    /// Takes back the request `admit` counted, when the gateway refused it before any upstream
    /// attempt (a full queue, no account in rotation, a client that left while queued).
    public func refund(subject: String, _ admitted: Admitted) {
        self.ledger.withLock { $0.refund(subject: subject, admitted) }
    }

    /// Adds tokens an answer of `subject` used.
    public func record(tokens: Int, subject: String) {
        guard tokens > 0 else { return }
        self.ledger.withLock { $0.record(tokens: tokens, subject: subject) }
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

        /// Adds tokens an answer of `subject` used.
        mutating func record(tokens: Int, subject: String) {
            self.rollIfNeeded()
            if self.isShared {
                self.leases[subject, default: Lease()].addTokens(tokens)
                return
            }
            let (sum, overflowed) = self.usage[subject, default: Usage()].tokens.addingReportingOverflow(tokens)
            self.usage[subject, default: Usage()].tokens = overflowed ? Int.max : sum
            _ = self.markDirty(subject, admission: false)
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
            self.period = self.calendar.period(at: now)
            self.usage.removeAll()
            self.dirty.removeAll()
            self.admittedSinceFlush = 0
        }
    }
}
