import Foundation
import Logging
import PostgresNIO
import ProxyEngine
import Synchronization

/// The limits instances decide together, in PostgreSQL (see `SharedLimits`).
///
/// Per-credential concurrency: each instance holds a share of the credential's limit
/// (`SlotGrants`), granted one slot at a time by `proxy_admit`; a request that finds a free slot
/// of this instance's share pays no round trip, one that does not pays one. Per-minute limits cost
/// one call per request. What follows a request (slots given back, tokens, refunds) is queued and
/// written in batches by `runWrites`, never awaited on the request path. This instance's grants
/// are renewed every `renewInterval`, so those of an instance that died expire within
/// `slotLifetime`.
final class PostgresSharedLimits: SharedLimits {
    static let slotLifetime = 15.0
    static let renewInterval = Duration.seconds(5)
    /// How long a request refused for want of a slot waits, in turn, for another instance to
    /// give back the free slots it holds (it was asked to at the first refusal).
    static let slotRetries: [Duration] = [.milliseconds(20), .milliseconds(60), .milliseconds(120)]

    private let client: PostgresClient
    private let availability: PostgresAvailability
    private let logger: Logger
    /// This instance, in the grants table.
    let instance = UUID().uuidString
    private let slots = Mutex(SlotGrants())
    /// Writes that follow requests, sent in batches by `runWrites`.
    private let pending = Mutex(PendingWrites())
    private let writesWanted: AsyncStream<Void>
    private let wantWrites: AsyncStream<Void>.Continuation

    private struct PendingWrites {
        var minuteRefunds: [String] = []
        var tokens: [(user: String, tokens: Int)] = []
        var events: [StoreEvent] = []

        var isEmpty: Bool { self.minuteRefunds.isEmpty && self.tokens.isEmpty && self.events.isEmpty }

        /// Bounded: a store that stays away must not grow memory; what is dropped is a refund or
        /// tokens of a minute window that has passed.
        mutating func trim() {
            let limit = 100_000
            if self.minuteRefunds.count > limit { self.minuteRefunds.removeFirst(self.minuteRefunds.count - limit) }
            if self.tokens.count > limit { self.tokens.removeFirst(self.tokens.count - limit) }
            if self.events.count > 1_000 { self.events.removeFirst(self.events.count - 1_000) }
        }
    }

    init(client: PostgresClient, availability: PostgresAvailability, logger: Logger) {
        self.client = client
        self.availability = availability
        self.logger = logger
        (self.writesWanted, self.wantWrites) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    var isAvailable: Bool { self.availability.isUp }

    @discardableResult
    private func run<Result: Sendable>(_ body: @escaping @Sendable (PostgresClient) async throws -> Result) async throws -> Result {
        let client = self.client
        return try await self.availability.call { try await body(client) }
    }

    func admit(_ request: SharedAdmissionRequest) async throws -> SharedAdmissionDecision {
        let id = UUID().uuidString
        let credential = request.credential
        let hasSlotLimit = request.concurrencyLimit > 0
        let grow = hasSlotLimit && !self.slots.withLock { $0.useGranted(credential, lease: id) }
        guard grow || request.requestsPerMinute > 0 || request.tokensPerMinute > 0 else { return .admitted(SharedLeaseID(id)) }
        var retries = Self.slotRetries[...]
        while true {
            let returned = grow ? self.slots.withLock { $0.takeReturns(of: credential) } : 0
            let code: Int
            let wait: Int
            do {
                (code, wait) = try await self.run { client in
                    var result = (0, 0)
                    for try await row in try await client.query(
                        """
                        SELECT code, wait FROM proxy_admit(\(id), \(credential), \(self.instance), \(request.concurrencyLimit), \(grow),
                        \(returned), \(request.user), \(request.requestsPerMinute), \(request.tokensPerMinute), \(Self.slotLifetime))
                        """, logger: self.logger
                    ).decode((Int, Int).self) {
                        result = row
                    }
                    return result
                }
            } catch {
                self.slots.withLock { slots in
                    if returned > 0 { slots.restoreReturns([credential: returned]) }
                    if !grow { slots.release(lease: id) }
                }
                throw error
            }
            switch code {
            case 0:
                if grow { self.slots.withLock { $0.granted(credential, lease: id) } }
                return .admitted(SharedLeaseID(id))
            case 1:
                // Another instance may hold free slots of this credential: ask for them, and
                // try again a moment later before refusing.
                guard let delay = retries.popFirst() else { return .concurrencyFull }
                if retries.count == Self.slotRetries.count - 1 { self.enqueue { $0.events.append(.slotsWanted(credential: credential)) } }
                try await Task.sleep(for: delay)
            default:
                if !grow { self.slots.withLock { _ = $0.release(lease: id) } }
                return code == 2 ? .requestsPerMinute(retryAfterSeconds: wait) : .tokensPerMinute(retryAfterSeconds: wait)
            }
        }
    }

    func release(_ lease: SharedLeaseID, refundingMinute: Bool) {
        self.slots.withLock { _ = $0.release(lease: lease.value) }
        if refundingMinute { self.enqueue { $0.minuteRefunds.append(lease.value) } }
    }

    /// Another instance was refused a slot of `credential`: the free ones held here go back.
    func giveBackSlots(of credential: String) {
        let given = self.slots.withLock { $0.giveBackSurplus(of: credential) }
        if given > 0 { self.wantWrites.yield() }
    }

    func recordMinuteTokens(user: String, tokens: Int) {
        self.enqueue { $0.tokens.append((user, tokens)) }
    }

    func quotaExhausted(subject: String) {
        self.enqueue { $0.events.append(.quotaExhausted(subject: subject)) }
    }

    private func enqueue(_ change: (inout PendingWrites) -> Void) {
        self.pending.withLock { pending in
            change(&pending)
            pending.trim()
        }
        self.wantWrites.yield()
    }

    func leaseQuota(subject: String, period: String, limit: Int) async throws -> QuotaLease {
        let now = Int(Date().timeIntervalSince1970)
        return try await self.run { client in
            var lease = QuotaLease(granted: 0, counts: .init(reserved: 0, used: .init()))
            for try await (granted, reserved, used, tokens) in try await client.query(
                "SELECT granted, requests, used, tokens FROM proxy_lease_quota(\(subject), \(period), \(limit), \(now))",
                logger: self.logger
            ).decode((Int, Int, Int, Int).self) {
                lease = QuotaLease(granted: granted, counts: .init(reserved: reserved, used: .init(requests: used, tokens: tokens)))
            }
            return lease
        }
    }

    func reserve(subject: String, period: String, tokens: Int, microdollars: Int, limits: QuotaManager.Limits) async throws
        -> SharedReservationAnswer
    {
        let now = Int(Date().timeIntervalSince1970)
        let (tokenLimit, microdollarLimit) = (limits.monthlyTokens, limits.monthlyMicrodollars)
        return try await self.run { client in
            var answer = SharedReservationAnswer(granted: false, remainingTokens: 0, remainingMicrodollars: 0)
            for try await (granted, remainingTokens, remainingMicrodollars) in try await client.query(
                """
                SELECT granted, remaining_tokens, remaining_microdollars FROM proxy_reserve_spend(\(subject), \(period), \(tokens),
                \(microdollars), \(tokenLimit), \(microdollarLimit), \(now))
                """, logger: self.logger
            ).decode((Bool, Int, Int).self) {
                answer = SharedReservationAnswer(
                    granted: granted, remainingTokens: remainingTokens, remainingMicrodollars: remainingMicrodollars)
            }
            return answer
        }
    }

    func report(_ report: QuotaReport) async throws -> [String: SharedQuotaCounts] {
        let subjects = Array(report.entries.keys)
        let entries = subjects.map { report.entries[$0]! }
        let reserved = entries.map { $0.requests - $0.returnedUnits }
        let used = entries.map { $0.consumed + $0.requests }
        let tokens = entries.map(\.tokens)
        let microdollars = entries.map(\.microdollars)
        let releasedTokens = entries.map(\.releasedTokens)
        let releasedMicrodollars = entries.map(\.releasedMicrodollars)
        let now = Int(Date().timeIntervalSince1970)
        return try await self.run { client in
            var counts: [String: SharedQuotaCounts] = [:]
            // Usage added and the reservations it settles taken off in one statement: no
            // moment shows neither, and a report that fails changes nothing
            // (it is sent again whole).
            for try await (subject, reserved, used, tokens, microdollars, reservedTokens, reservedMicrodollars) in try await client.query(
                """
                WITH d AS (SELECT * FROM unnest(\(subjects), \(reserved), \(used), \(tokens), \(microdollars), \(releasedTokens),
                    \(releasedMicrodollars)) AS d(s, r, u, t, m, rt, rm))
                INSERT INTO quota_counts AS q (subject, period, requests, used, tokens, microdollars, reserved_tokens,
                    reserved_microdollars, updated_at)
                SELECT s, \(report.period), r, u, t, m, 0, 0, \(now) FROM d
                ON CONFLICT (subject, period) DO UPDATE SET requests = GREATEST(q.requests + excluded.requests, 0),
                    used = q.used + excluded.used, tokens = q.tokens + excluded.tokens,
                    microdollars = q.microdollars + excluded.microdollars,
                    reserved_tokens = GREATEST(q.reserved_tokens - (SELECT d.rt FROM d WHERE d.s = q.subject), 0),
                    reserved_microdollars = GREATEST(q.reserved_microdollars - (SELECT d.rm FROM d WHERE d.s = q.subject), 0),
                    updated_at = excluded.updated_at
                RETURNING subject, requests, used, tokens, microdollars, reserved_tokens, reserved_microdollars
                """, logger: self.logger
            ).decode((String, Int, Int, Int, Int, Int, Int).self) {
                counts[subject] = SharedQuotaCounts(
                    reserved: reserved, used: .init(requests: used, tokens: tokens, microdollars: microdollars),
                    reservedTokens: reservedTokens, reservedMicrodollars: reservedMicrodollars)
            }
            return counts
        }
    }

    /// Keeps this instance's grants alive, and gives back those of credentials idle here, until
    /// the task is cancelled.
    func runRenewals() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: Self.renewInterval)
            self.slots.withLock { $0.giveBackIdle() }
            self.wantWrites.yield()
            let (instance, lifetime, logger) = (self.instance, Self.slotLifetime, self.logger)
            do {
                try await self.run { client in
                    try await client.query(
                        "UPDATE slot_grants SET expires_at = clock_timestamp() + make_interval(secs => \(lifetime)) WHERE instance = \(instance)",
                        logger: logger)
                }
            } catch {
                self.logger.debug("renewing slot grants failed", metadata: ["error": "\(PostgresAvailability.describe(error))"])
            }
        }
    }

    /// Gives back every grant of this instance (at shutdown).
    func giveBackAll() async {
        let (instance, logger) = (self.instance, self.logger)
        _ = try? await self.run { client in
            try await client.query("DELETE FROM slot_grants WHERE instance = \(instance)", logger: logger)
        }
    }

    /// Sends the queued writes, a batch at a time, until the task is cancelled. A batch that
    /// fails is dropped, except the slots given back, which go with the next: each other write's
    /// loss is bounded (a minute passes).
    func runWrites() async {
        for await _ in self.writesWanted {
            let batch = self.pending.withLock { pending in
                defer { pending = PendingWrites() }
                return pending
            }
            let returns = self.slots.withLock { $0.takeReturns() }
            guard !batch.isEmpty || !returns.isEmpty else { continue }
            do {
                try await self.write(batch, returns: returns)
            } catch {
                self.slots.withLock { $0.restoreReturns(returns) }
                self.logger.debug("shared-limit writes failed", metadata: ["error": "\(PostgresAvailability.describe(error))"])
            }
        }
    }

    private func write(_ batch: PendingWrites, returns: [String: Int]) async throws {
        let credentials = Array(returns.keys)
        let counts = credentials.map { returns[$0]! }
        let refunds = batch.minuteRefunds
        let users = batch.tokens.map(\.user)
        let tokens = batch.tokens.map(\.tokens)
        let events = batch.events.map(\.payload)
        let (instance, logger) = (self.instance, self.logger)
        try await self.run { client in
            if !credentials.isEmpty {
                try await client.query(
                    """
                    UPDATE slot_grants AS g SET granted = GREATEST(g.granted - d.n, 0)
                    FROM unnest(\(credentials), \(counts)) AS d(c, n) WHERE g.credential = d.c AND g.instance = \(instance)
                    """, logger: logger)
            }
            if !refunds.isEmpty {
                try await client.query("DELETE FROM minute_requests WHERE id = ANY(\(refunds))", logger: logger)
            }
            if !users.isEmpty {
                try await client.query(
                    #"INSERT INTO minute_tokens ("user", at, tokens) SELECT u, clock_timestamp(), t FROM unnest(\#(users), \#(tokens)) AS d(u, t)"#,
                    logger: logger)
            }
            for payload in events {
                try await client.query("SELECT pg_notify(\(PostgresStateStore.eventsChannel), \(payload))", logger: logger)
            }
        }
    }
}
