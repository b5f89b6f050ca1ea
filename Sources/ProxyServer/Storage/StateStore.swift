import Logging
import ProxyEngine

/// The gateway's durable state: virtual keys, upstream accounts, quota counts and usage
/// records. Two implementations: `SQLiteStateStore`, embedded, for one process; and
/// `PostgresStateStore`, which several instances share (and which also carries the limits they
/// share, `sharedLimits`). Nothing outside `Storage/` knows which one it has.
protocol StateStore: Sendable {
    /// The limits instances decide together; nil for a store only one process uses.
    var sharedLimits: (any SharedLimits)? { get }

    /// Whether the store answers (for `/ready` and `proxy_store_up`).
    func isReachable() async -> Bool

    /// Whether a gateway whose store does not answer still serves and says so (`/ready` answers
    /// "degraded" with 200): true for a store several instances share, so that a database
    /// failover does not take every instance out of a load balancer at once.
    var servesWhileAway: Bool { get }

    /// What the store does in the background (listening for other instances' changes, renewing
    /// leases, queued writes) until the task is cancelled; returns at once when it has nothing.
    func runBackground(onEvent: @escaping @Sendable (StoreEvent) -> Void) async

    /// Closes the connections, after the last write.
    func close() async

    // Virtual keys.
    func insert(_ key: VirtualKey) async throws
    /// The live (unrevoked) key with this hash.
    func key(hash: String) async throws -> VirtualKey?
    /// Every live key, oldest first.
    func keys() async throws -> [VirtualKey]
    /// Revokes a key; nil when there is no live key with this id.
    func revoke(id: String, at now: Int) async throws -> VirtualKey?
    /// Disables or re-enables a live key; nil when there is no live key with this id.
    func setDisabled(id: String, _ disabled: Bool) async throws -> VirtualKey?
    /// Sets a live key's monthly limits (`monthly_requests`, `monthly_tokens`, `monthly_usd`) to
    /// those of `key`; nil when there is no live key with its id.
    func setLimits(of key: VirtualKey) async throws -> VirtualKey?

    // Usage records.
    func save(_ records: [UsageRecord]) async throws
    /// The newest records matching `filter` (at most `limit`), and totals over all that match.
    func usage(_ filter: UsageFilter) async throws -> (records: [UsageRecord], totals: UsageTotals)
    /// Requests, tokens and errors (status ≥ 400) per `bucketSeconds` from `since` on, for the
    /// records matching `filter` (its `since`, `until` and `limit` are ignored); empty buckets
    /// are left out.
    func usageSeries(bucketSeconds: Int, since: Double, filter: UsageFilter) async throws -> [UsageBucket]
    /// Requests, tokens and errors since `since`, over every record.
    func usageSummary(since: Double) async throws -> UsageBucket
    /// Requests, tokens and spend since `since` per user, per key and per model, the
    /// largest spenders first (at most `limit` of each).
    func usageShares(since: Double, limit: Int) async throws -> [UsageShare]
    /// When each key last served a request (unix seconds), from the usage records.
    func keysLastUsed() async throws -> [String: Double]

    // Quota counts of a process that decides its quotas alone (absolute values, so a batch
    // written twice changes nothing). A shared store counts through `sharedLimits` instead.
    func save(_ batches: [QuotaManager.Batch], at now: Int) async throws
    /// The stored counts of one month (read once, at start-up).
    func quotaCounts(period: String) async throws -> [String: QuotaManager.Usage]

    // Upstream accounts added by the CLI.
    func storedAccounts() async throws -> [StoredAccount]
    func save(_ account: StoredAccount) async throws
    /// Whether an account was there to remove.
    func removeAccount(provider: String, name: String) async throws -> Bool
    /// Keeps a refreshed OAuth account's tokens (sealed) for the next start.
    func saveOAuthTokens(provider: String, account: String, _ tokens: OAuthTokens, box: SecretBox) async throws

    // Stored Responses-API responses, each of one user's.
    /// Keeps `response`, and drops those whose time has passed.
    func save(_ response: StoredResponse) async throws
    /// The response with this id, if it is `user`'s and has not expired at `now`.
    func storedResponse(id: String, user: String, now: Double) async throws -> StoredResponse?
    /// Whether `user` had a response with this id to delete.
    func deleteStoredResponse(id: String, user: String) async throws -> Bool
}

struct UsageFilter: Sendable {
    var user: String?
    var keyID: String?
    var model: String?
    var since: Double?
    var until: Double?
    var limit = 100
}

struct UsageTotals: Sendable, Equatable {
    var requests = 0
    var promptTokens = 0
    var completionTokens = 0
    var estimatedRequests = 0
    var cacheReadTokens = 0
    var cacheWriteTokens = 0
    var reasoningTokens = 0
    var costMicrodollars = 0
}

/// One user's, key's or model's part of the usage (see `StateStore.usageShares`).
struct UsageShare: Sendable, Equatable {
    enum Dimension: String, Sendable { case user, key, model }
    var dimension: Dimension
    var name: String
    var requests: Int
    var tokens: Int
    var costMicrodollars: Int
    /// Requests whose model had no price.
    var unpricedRequests: Int
}

struct UsageBucket: Sendable, Equatable {
    /// Unix seconds where the bucket starts.
    var start: Int
    var requests: Int
    var tokens: Int
    var errors: Int
    var costMicrodollars = 0
}

/// Opens `storage.url`.
enum StateStores {
    /// `sqlite:PATH`, `sqlite::memory:` or `postgres://USER:PASS@HOST:PORT/DB?sslmode=...`.
    /// A PostgreSQL store is connected and migrated before this returns, and runs until
    /// `close()` (the server makes it a service: see `StateStoreService`).
    static func open(url: String, logger: Logger) async throws(ConfigError) -> any StateStore {
        if url.hasPrefix("sqlite:") { return try SQLiteStateStore(url: url) }
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            return try await PostgresStateStore.open(url: url, logger: logger)
        }
        throw ConfigError(key: "storage.url", "must start with sqlite: or postgres:// (got '\(url.prefix(12))…')")
    }
}
