import Synchronization
import Testing

@testable import ProxyEngine

/// The quota ledger against a shared store (`SharedLimits`), modelled in memory with the same
/// rules as PostgreSQL's `proxy_lease_quota`: several `QuotaManager`s stand for several instances.
@Suite(.timeLimit(.minutes(5))) struct SharedQuotaTests {
    static let limits = QuotaManager.Limits(monthlyRequests: 37, monthlyTokens: 0)

    static func instance(_ store: InMemorySharedLimits) -> QuotaManager {
        QuotaManager(calendar: QuotaCalendar(timeZone: "UTC")!, flushEveryRequests: 1000, shared: store, now: { 1_795_000_000 })
    }

    @Test func concurrentRequestsOverThreeInstancesAdmitExactlyTheLimit() async {
        let store = InMemorySharedLimits()
        let instances = (0..<3).map { _ in Self.instance(store) }
        let admitted = await withTaskGroup(of: Bool.self) { group in
            for index in 0..<200 {
                group.addTask { (try? await instances[index % 3].admit(subject: "s", limits: Self.limits)) != nil }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(admitted == 37)
        #expect(store.reserved("s") == 37)
    }

    @Test func unitsHeldElsewhereComeBackWhenAnotherInstanceIsRefused() async throws {
        let store = InMemorySharedLimits()
        let (a, b) = (Self.instance(store), Self.instance(store))
        try await a.admit(subject: "s", limits: Self.limits)  // leases a block of 2: one left unused at A
        var admitted = 1
        while (try? await b.admit(subject: "s", limits: Self.limits)) != nil { admitted += 1 }
        #expect(admitted == 36)
        // B was refused with a unit still at A: it asked for it back.
        #expect(store.exhaustedSubjects == ["s"])
        a.reclaim(subject: "s")
        try await a.synchronize()
        try await b.admit(subject: "s", limits: Self.limits)
        await #expect(throws: GatewayError.self) { try await b.admit(subject: "s", limits: Self.limits) }
    }

    @Test func aRefundedUnitIsAdmittedAgainWithoutTheStore() async throws {
        let store = InMemorySharedLimits()
        let a = Self.instance(store)
        let admitted = try await a.admit(subject: "s", limits: Self.limits)
        #expect(admitted.admitted == .leased)
        a.refund(subject: "s", admitted)
        let calls = store.leaseCalls
        try await a.admit(subject: "s", limits: Self.limits)
        #expect(store.leaseCalls == calls)
    }

    @Test func whileTheStoreIsAwayEachInstanceAdmitsItsBoundedAllowanceAndWritesItLater() async throws {
        let store = InMemorySharedLimits()
        let a = Self.instance(store)
        let limits = QuotaManager.Limits(monthlyRequests: 1000, monthlyTokens: 0)
        // A block of 62 units, then the store goes away.
        try await a.admit(subject: "s", limits: limits)
        store.isAway = true
        var admitted = 1
        while (try? await a.admit(subject: "s", limits: limits)) != nil { admitted += 1 }
        // The documented bound (docs/cluster.md): the lease (a sixteenth of
        // 1,000) plus max(10, limit / 10) = 100 per instance and outage, written out here rather
        // than asked of the code under test.
        #expect(admitted == 62 + 100)
        await #expect(throws: (any Error).self) { try await a.synchronize() }
        store.isAway = false
        try await a.synchronize(returningAllLeases: true)
        #expect(store.used("s") == admitted)
        #expect(a.usage(of: "s").usage.requests == admitted)
    }
}

/// `SharedLimits` in memory, with the rules of the PostgreSQL functions.
final class InMemorySharedLimits: SharedLimits {
    private struct State {
        var counts: [String: SharedQuotaCounts] = [:]
        var isAway = false
        var leaseCalls = 0
        var reserveCalls = 0
        var exhausted: [String] = []
    }
    private let state = Mutex(State())
    struct Away: Error {}

    var isAway: Bool {
        get { self.state.withLock { $0.isAway } }
        set { self.state.withLock { $0.isAway = newValue } }
    }
    var isAvailable: Bool { !self.isAway }
    var leaseCalls: Int { self.state.withLock { $0.leaseCalls } }
    var exhaustedSubjects: [String] { self.state.withLock { $0.exhausted } }
    func reserved(_ subject: String) -> Int { self.state.withLock { $0.counts[subject]?.reserved ?? 0 } }
    func used(_ subject: String) -> Int { self.state.withLock { $0.counts[subject]?.used.requests ?? 0 } }

    func admit(_ request: SharedAdmissionRequest) async throws -> SharedAdmissionDecision { .admitted(SharedLeaseID("x")) }
    func release(_ lease: SharedLeaseID, refundingMinute: Bool) {}
    func recordMinuteTokens(user: String, tokens: Int) {}
    func quotaExhausted(subject: String) { self.state.withLock { $0.exhausted.append(subject) } }

    func leaseQuota(subject: String, period: String, limit: Int) async throws -> QuotaLease {
        await Task.yield()
        return try self.state.withLock { state in
            guard !state.isAway else { throw Away() }
            state.leaseCalls += 1
            var counts = state.counts[subject] ?? SharedQuotaCounts(reserved: 0, used: .init())
            let remaining = max(limit - counts.reserved, 0)
            let granted = min(remaining, max(1, min(remaining / 16, 256)))
            counts.reserved += granted
            state.counts[subject] = counts
            return QuotaLease(granted: granted, counts: counts)
        }
    }

    var reserveCalls: Int { self.state.withLock { $0.reserveCalls } }
    func spent(_ subject: String) -> QuotaManager.Usage { self.state.withLock { $0.counts[subject]?.used ?? .init() } }
    func reservedSpend(_ subject: String) -> (tokens: Int, microdollars: Int) {
        self.state.withLock { ($0.counts[subject]?.reservedTokens ?? 0, $0.counts[subject]?.reservedMicrodollars ?? 0) }
    }

    func reserve(subject: String, period: String, tokens: Int, microdollars: Int, limits: QuotaManager.Limits) async throws
        -> SharedReservationAnswer
    {
        await Task.yield()
        return try self.state.withLock { state in
            guard !state.isAway else { throw Away() }
            state.reserveCalls += 1
            var counts = state.counts[subject] ?? SharedQuotaCounts(reserved: 0, used: .init())
            var remainingTokens = limits.monthlyTokens - counts.used.tokens - counts.reservedTokens
            var remainingMicrodollars = limits.monthlyMicrodollars - counts.used.microdollars - counts.reservedMicrodollars
            let granted =
                (limits.monthlyTokens == 0 || tokens <= remainingTokens)
                && (limits.monthlyMicrodollars == 0 || microdollars <= remainingMicrodollars)
            if granted {
                counts.reservedTokens += tokens
                counts.reservedMicrodollars += microdollars
                remainingTokens -= tokens
                remainingMicrodollars -= microdollars
                state.counts[subject] = counts
            }
            return SharedReservationAnswer(granted: granted, remainingTokens: remainingTokens, remainingMicrodollars: remainingMicrodollars)
        }
    }

    func report(_ report: QuotaReport) async throws -> [String: SharedQuotaCounts] {
        try self.state.withLock { state in
            guard !state.isAway else { throw Away() }
            var answer: [String: SharedQuotaCounts] = [:]
            for (subject, entry) in report.entries {
                var counts = state.counts[subject] ?? SharedQuotaCounts(reserved: 0, used: .init())
                counts.reserved = max(0, counts.reserved + entry.requests - entry.returnedUnits)
                counts.used.requests += entry.consumed + entry.requests
                counts.used.tokens += entry.tokens
                counts.used.microdollars += entry.microdollars
                counts.reservedTokens = max(0, counts.reservedTokens - entry.releasedTokens)
                counts.reservedMicrodollars = max(0, counts.reservedMicrodollars - entry.releasedMicrodollars)
                state.counts[subject] = counts
                answer[subject] = counts
            }
            return answer
        }
    }
}
