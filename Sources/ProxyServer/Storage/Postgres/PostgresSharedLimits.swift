import Foundation
import Logging
import PostgresNIO
import ProxyEngine
import Synchronization

/// The limits instances decide together, in PostgreSQL (see `SharedLimits`).
///
/// A request with a per-credential or per-minute limit costs one call of `proxy_admit`; one
/// without costs nothing here. What follows a request (freeing its slot, its tokens) is queued
/// and written by `runWrites`, never awaited on the request path. The slots of this instance are
/// renewed every `renewInterval`, so those of an instance that died expire within `slotLifetime`.
final class PostgresSharedLimits: SharedLimits {
    static let slotLifetime = 15.0
    static let renewInterval = Duration.seconds(5)

    private let client: PostgresClient
    private let availability: PostgresAvailability
    private let logger: Logger
    /// Who holds a slot, in the slot table (for a look at it; renewal goes by slot).
    let instance = UUID().uuidString
    /// The slots this instance holds (renewed until released), and those it has released whose
    /// delete is still queued, by credential.
    private let slots = Mutex(Slots())

    private struct Slots {
        var held: [String: String] = [:]
        var released: [String: Set<String>] = [:]

        mutating func release(_ id: String) -> Bool {
            guard let credential = self.held.removeValue(forKey: id) else { return false }
            self.released[credential, default: []].insert(id)
            return true
        }

        mutating func deleted(_ id: String, credential: String) {
            self.released[credential]?.remove(id)
            if self.released[credential]?.isEmpty == true { self.released[credential] = nil }
        }
    }
    /// Writes that follow requests, sent in batches by `runWrites`: under load, one statement
    /// carries every slot freed since the last.
    private let pending = Mutex(PendingWrites())
    private let writesWanted: AsyncStream<Void>
    private let wantWrites: AsyncStream<Void>.Continuation

    private struct PendingWrites {
        var releases: [(id: String, credential: String)] = []
        var minuteRefunds: [String] = []
        var tokens: [(user: String, tokens: Int)] = []
        var events: [StoreEvent] = []

        var isEmpty: Bool { self.releases.isEmpty && self.minuteRefunds.isEmpty && self.tokens.isEmpty && self.events.isEmpty }

        /// Bounded: a store that stays away must not grow memory; what is dropped is a slot row
        /// that expires by itself, or tokens of a minute window that has passed.
        mutating func trim() {
            let limit = 100_000
            if self.releases.count > limit { self.releases.removeFirst(self.releases.count - limit) }
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
        let released = Array(self.slots.withLock { $0.released[request.credential] ?? [] })
        let (code, wait) = try await self.run { client in
            var result = (0, 0)
            for try await row in try await client.query(
                """
                SELECT code, wait FROM proxy_admit(\(id), \(request.credential), \(self.instance), \(request.concurrencyLimit),
                \(request.user), \(request.requestsPerMinute), \(request.tokensPerMinute), \(Self.slotLifetime), \(released))
                """, logger: self.logger
            ).decode((Int, Int).self) {
                result = row
            }
            return result
        }
        switch code {
        case 1: return .concurrencyFull
        case 2: return .requestsPerMinute(retryAfterSeconds: wait)
        case 3: return .tokensPerMinute(retryAfterSeconds: wait)
        default:
            if request.concurrencyLimit > 0 { self.slots.withLock { $0.held[id] = request.credential } }
            return .admitted(SharedLeaseID(id))
        }
    }

    func release(_ lease: SharedLeaseID, refundingMinute: Bool) {
        let credential = self.slots.withLock { slots in
            let credential = slots.held[lease.value]
            return slots.release(lease.value) ? credential : nil
        }
        guard credential != nil || refundingMinute else { return }
        self.enqueue { pending in
            if let credential { pending.releases.append((lease.value, credential)) }
            if refundingMinute { pending.minuteRefunds.append(lease.value) }
        }
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

    func report(_ report: QuotaReport) async throws -> [String: SharedQuotaCounts] {
        let subjects = Array(report.entries.keys)
        let entries = subjects.map { report.entries[$0]! }
        let reserved = entries.map { $0.requests - $0.returnedUnits }
        let used = entries.map { $0.consumed + $0.requests }
        let tokens = entries.map(\.tokens)
        let now = Int(Date().timeIntervalSince1970)
        return try await self.run { client in
            var counts: [String: SharedQuotaCounts] = [:]
            for try await (subject, reserved, used, tokens) in try await client.query(
                """
                INSERT INTO quota_counts AS q (subject, period, requests, used, tokens, updated_at)
                SELECT s, \(report.period), r, u, t, \(now) FROM unnest(\(subjects), \(reserved), \(used), \(tokens)) AS d(s, r, u, t)
                ON CONFLICT (subject, period) DO UPDATE SET requests = GREATEST(q.requests + excluded.requests, 0),
                    used = q.used + excluded.used, tokens = q.tokens + excluded.tokens, updated_at = excluded.updated_at
                RETURNING subject, requests, used, tokens
                """, logger: self.logger
            ).decode((String, Int, Int, Int).self) {
                counts[subject] = SharedQuotaCounts(reserved: reserved, used: .init(requests: used, tokens: tokens))
            }
            return counts
        }
    }

    /// Keeps this instance's slots alive until the task is cancelled.
    func runRenewals() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: Self.renewInterval)
            let held = self.slots.withLock { Array($0.held.keys) }
            guard !held.isEmpty else { continue }
            do {
                try await self.run { client in
                    try await client.query(
                        "UPDATE slot_leases SET expires_at = clock_timestamp() + make_interval(secs => \(Self.slotLifetime)) WHERE id = ANY(\(held))",
                        logger: self.logger)
                }
            } catch {
                self.logger.debug("renewing slot leases failed", metadata: ["error": "\(PostgresAvailability.describe(error))"])
            }
        }
    }

    /// Sends the queued writes, a batch at a time, until the task is cancelled. A batch that
    /// fails is dropped: each write's loss is bounded (a slot expires, a minute passes).
    func runWrites() async {
        for await _ in self.writesWanted {
            let batch = self.pending.withLock { pending in
                defer { pending = PendingWrites() }
                return pending
            }
            guard !batch.isEmpty else { continue }
            do {
                try await self.write(batch)
            } catch {
                self.logger.debug("shared-limit writes failed", metadata: ["error": "\(PostgresAvailability.describe(error))"])
            }
            self.slots.withLock { slots in
                for release in batch.releases { slots.deleted(release.id, credential: release.credential) }
            }
        }
    }

    private func write(_ batch: PendingWrites) async throws {
        let released = batch.releases.map(\.id)
        let refunds = batch.minuteRefunds
        let users = batch.tokens.map(\.user)
        let tokens = batch.tokens.map(\.tokens)
        let events = batch.events.map(\.payload)
        let logger = self.logger
        try await self.run { client in
            if !released.isEmpty {
                try await client.query("DELETE FROM slot_leases WHERE id = ANY(\(released))", logger: logger)
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
