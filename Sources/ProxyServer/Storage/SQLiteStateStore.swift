import Foundation
import GRDB
import ProxyEngine

/// The embedded state store: one SQLite file through GRDB, created and migrated when it opens,
/// for a gateway that runs as one process. Every call runs on GRDB's own queue, never on an
/// event loop.
final class SQLiteStateStore: StateStore {
    let database: DatabaseQueue

    /// Opens `storage.url`: `sqlite:PATH` (the folder is created) or `sqlite::memory:`.
    init(url: String) throws(ConfigError) {
        let path = String(url.dropFirst("sqlite:".count))
        do {
            if path == ":memory:" {
                self.database = try DatabaseQueue()
            } else {
                let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                var configuration = Configuration()
                configuration.busyMode = .timeout(5)
                self.database = try DatabaseQueue(path: path, configuration: configuration)
            }
            try Self.migrator.migrate(self.database)
        } catch {
            throw ConfigError(key: "storage.url", "cannot open the state store at '\(path)': \(error)")
        }
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-virtual-keys") { db in
            try db.create(table: "virtual_keys") { table in
                table.primaryKey("id", .text)
                table.column("name", .text).notNull()
                table.column("user", .text).notNull()
                table.column("hash", .text).notNull().unique()
                table.column("prefix", .text).notNull()
                table.column("created_at", .integer).notNull()
                table.column("expires_at", .integer)
                table.column("models", .text).notNull()
                table.column("monthly_requests", .integer)
                table.column("monthly_tokens", .integer)
                table.column("disabled", .boolean).notNull().defaults(to: false)
                table.column("revoked_at", .integer)
            }
        }
        migrator.registerMigration("v2-quota-counts") { db in
            try db.create(table: "quota_counts") { table in
                table.column("subject", .text).notNull()
                table.column("period", .text).notNull()
                table.column("requests", .integer).notNull()
                table.column("tokens", .integer).notNull()
                table.column("updated_at", .integer).notNull()
                table.primaryKey(["subject", "period"])
            }
        }
        migrator.registerMigration("v3-usage-records") { db in
            try db.create(table: "usage_records") { table in
                table.autoIncrementedPrimaryKey("id")
                table.column("at", .double).notNull().indexed()
                table.column("user", .text).notNull()
                table.column("key_id", .text)
                table.column("model", .text).notNull()
                table.column("provider", .text).notNull()
                table.column("account", .text).notNull()
                table.column("prompt_tokens", .integer).notNull()
                table.column("completion_tokens", .integer).notNull()
                table.column("estimated", .boolean).notNull()
                table.column("status", .integer).notNull()
                table.column("latency_ms", .double).notNull()
                table.column("ttfb_ms", .double)
            }
            try db.create(index: "usage_records_user_at", on: "usage_records", columns: ["user", "at"])
        }
        migrator.registerMigration("v4-upstream-accounts") { db in
            // Secrets are sealed with `SecretBox`; nothing here is usable without the master key.
            try db.create(table: "upstream_accounts") { table in
                table.column("provider", .text).notNull()
                table.column("name", .text).notNull()
                table.column("kind", .text).notNull()
                table.column("weight", .double).notNull()
                table.column("api_key", .text)
                table.column("access_token", .text)
                table.column("refresh_token", .text)
                table.column("expires_at", .double)
                table.column("pkce_verifier", .text)
                table.column("pkce_state", .text)
                table.primaryKey(["provider", "name"])
            }
        }
        migrator.registerMigration("v5-usage-door") { db in
            // Which of the three doors (Chat Completions, Messages, Responses) a request came through.
            try db.alter(table: "usage_records") { table in table.add(column: "door", .text).notNull().defaults(to: "chat") }
        }
        migrator.registerMigration("v6-stored-responses") { db in
            try db.create(table: "stored_responses") { table in
                table.primaryKey("id", .text)
                table.column("user", .text).notNull()
                table.column("created_at", .double).notNull()
                table.column("expires_at", .double).notNull().indexed()
                table.column("document", .text).notNull()
            }
        }
        migrator.registerMigration("v7-usage-token-parts") { db in
            // The parts of a record's prompt and completion tokens: cache read, cache write, reasoning.
            try db.alter(table: "usage_records") { table in
                table.add(column: "cache_read_tokens", .integer).notNull().defaults(to: 0)
                table.add(column: "cache_write_tokens", .integer).notNull().defaults(to: 0)
                table.add(column: "reasoning_tokens", .integer).notNull().defaults(to: 0)
            }
        }
        migrator.registerMigration("v8-spend") { db in
            // Each record's price, each month's cost, and each key's own budget.
            try db.alter(table: "usage_records") { table in
                table.add(column: "cost_microdollars", .integer).notNull().defaults(to: 0)
                table.add(column: "priced", .boolean).notNull().defaults(to: true)
            }
            try db.alter(table: "quota_counts") { table in table.add(column: "microdollars", .integer).notNull().defaults(to: 0) }
            try db.alter(table: "virtual_keys") { table in table.add(column: "monthly_microdollars", .integer) }
        }
        return migrator
    }

    func save(_ records: [UsageRecord]) async throws {
        try await self.database.write { db in
            let statement = try db.makeStatement(
                sql: """
                    INSERT INTO usage_records (at, user, key_id, model, provider, account, prompt_tokens, completion_tokens, estimated, status, latency_ms, ttfb_ms, door, cache_read_tokens, cache_write_tokens, reasoning_tokens, cost_microdollars, priced)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """
            )
            for record in records {
                try statement.execute(arguments: [
                    record.at, record.user, record.keyID, record.model, record.provider, record.account,
                    record.promptTokens, record.completionTokens, record.estimated, record.status,
                    record.latencyMilliseconds, record.timeToFirstByteMilliseconds, record.door,
                    record.cacheReadTokens, record.cacheWriteTokens, record.reasoningTokens, record.costMicrodollars, record.priced,
                ])
            }
        }
    }

    /// The newest records matching `filter` (at most `limit`), and totals over all that match.
    func usage(_ filter: UsageFilter) async throws -> (records: [UsageRecord], totals: UsageTotals) {
        try await self.database.read { db in
            var conditions: [String] = []
            var arguments: [(any DatabaseValueConvertible)?] = []
            if let user = filter.user { conditions.append("user = ?"); arguments.append(user) }
            if let key = filter.keyID { conditions.append("key_id = ?"); arguments.append(key) }
            if let model = filter.model { conditions.append("model = ?"); arguments.append(model) }
            if let since = filter.since { conditions.append("at >= ?"); arguments.append(since) }
            if let until = filter.until { conditions.append("at < ?"); arguments.append(until) }
            let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            let rows = try Row.fetchAll(
                db, sql: "SELECT * FROM usage_records \(whereClause) ORDER BY at DESC, id DESC LIMIT ?",
                arguments: StatementArguments(arguments + [filter.limit])
            )
            let records = rows.map { row in
                UsageRecord(
                    at: row["at"], user: row["user"], keyID: row["key_id"], model: row["model"], provider: row["provider"],
                    account: row["account"], promptTokens: row["prompt_tokens"], completionTokens: row["completion_tokens"],
                    estimated: row["estimated"], status: row["status"], latencyMilliseconds: row["latency_ms"],
                    timeToFirstByteMilliseconds: row["ttfb_ms"], door: row["door"], cacheReadTokens: row["cache_read_tokens"],
                    cacheWriteTokens: row["cache_write_tokens"], reasoningTokens: row["reasoning_tokens"],
                    costMicrodollars: row["cost_microdollars"], priced: row["priced"]
                )
            }
            let total = try Row.fetchOne(
                db,
                sql: """
                    SELECT COUNT(*) AS requests, COALESCE(SUM(prompt_tokens), 0) AS prompt, COALESCE(SUM(completion_tokens), 0) AS completion,
                    COALESCE(SUM(estimated), 0) AS estimated, COALESCE(SUM(cache_read_tokens), 0) AS cache_read,
                    COALESCE(SUM(cache_write_tokens), 0) AS cache_write, COALESCE(SUM(reasoning_tokens), 0) AS reasoning,
                    COALESCE(SUM(cost_microdollars), 0) AS cost
                    FROM usage_records \(whereClause)
                    """,
                arguments: StatementArguments(arguments)
            )
            let totals = UsageTotals(
                requests: total?["requests"] ?? 0, promptTokens: total?["prompt"] ?? 0,
                completionTokens: total?["completion"] ?? 0, estimatedRequests: total?["estimated"] ?? 0,
                cacheReadTokens: total?["cache_read"] ?? 0, cacheWriteTokens: total?["cache_write"] ?? 0,
                reasoningTokens: total?["reasoning"] ?? 0, costMicrodollars: total?["cost"] ?? 0
            )
            return (records, totals)
        }
    }

    /// Writes quota counts (absolute values, so a batch written twice changes nothing).
    func save(_ batches: [QuotaManager.Batch], at now: Int) async throws {
        try await self.database.write { db in
            for batch in batches {
                for (subject, usage) in batch.usage {
                    try db.execute(
                        sql: """
                            INSERT INTO quota_counts (subject, period, requests, tokens, microdollars, updated_at) VALUES (?, ?, ?, ?, ?, ?)
                            ON CONFLICT(subject, period) DO UPDATE SET requests = excluded.requests, tokens = excluded.tokens,
                            microdollars = excluded.microdollars, updated_at = excluded.updated_at
                            """,
                        arguments: [subject, batch.period, usage.requests, usage.tokens, usage.microdollars, now]
                    )
                }
            }
        }
    }

    /// The stored counts of one month (read once, at start-up).
    func quotaCounts(period: String) async throws -> [String: QuotaManager.Usage] {
        try await self.database.read { db in
            var counts: [String: QuotaManager.Usage] = [:]
            let sql = "SELECT subject, requests, tokens, microdollars FROM quota_counts WHERE period = ?"
            for row in try Row.fetchAll(db, sql: sql, arguments: [period]) {
                counts[row["subject"]] = QuotaManager.Usage(
                    requests: row["requests"], tokens: row["tokens"], microdollars: row["microdollars"])
            }
            return counts
        }
    }

    /// Whether the store answers (for `/ready`).
    func isReachable() async -> Bool {
        (try? await self.database.read { db in try Int.fetchOne(db, sql: "SELECT 1") }) == 1
    }

    /// One process, nothing to share.
    var sharedLimits: (any SharedLimits)? { nil }

    /// A file this process cannot read or write is a broken gateway, not a passing outage.
    var servesWhileAway: Bool { false }

    func runBackground(onEvent: @escaping @Sendable (StoreEvent) -> Void) async {}

    func close() async {}

    func insert(_ key: VirtualKey) async throws {
        try await self.database.write { db in
            try db.execute(
                sql: """
                    INSERT INTO virtual_keys (id, name, user, hash, prefix, created_at, expires_at, models, monthly_requests, monthly_tokens, monthly_microdollars, disabled)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    key.id, key.name, key.user, key.hash, key.prefix, key.createdAt, key.expiresAt,
                    key.models.joined(separator: "\n"), key.monthlyRequests, key.monthlyTokens, key.monthlyMicrodollars, key.disabled,
                ]
            )
        }
    }

    /// The live (unrevoked) key with this hash.
    func key(hash: String) async throws -> VirtualKey? {
        try await self.database.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM virtual_keys WHERE hash = ? AND revoked_at IS NULL", arguments: [hash])
                .map(Self.key(from:))
        }
    }

    /// Every live key, oldest first.
    func keys() async throws -> [VirtualKey] {
        try await self.database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM virtual_keys WHERE revoked_at IS NULL ORDER BY created_at, id")
                .map(Self.key(from:))
        }
    }

    /// Revokes a key; false when there is no live key with this id.
    func revoke(id: String, at now: Int) async throws -> VirtualKey? {
        try await self.database.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM virtual_keys WHERE id = ? AND revoked_at IS NULL", arguments: [id])
            else {
                return nil
            }
            try db.execute(sql: "UPDATE virtual_keys SET revoked_at = ? WHERE id = ?", arguments: [now, id])
            return Self.key(from: row)
        }
    }

    /// Disables or re-enables a live key; nil when there is no live key with this id.
    func setDisabled(id: String, _ disabled: Bool) async throws -> VirtualKey? {
        try await self.database.write { db in
            try db.execute(sql: "UPDATE virtual_keys SET disabled = ? WHERE id = ? AND revoked_at IS NULL", arguments: [disabled, id])
            return try Row.fetchOne(db, sql: "SELECT * FROM virtual_keys WHERE id = ? AND revoked_at IS NULL", arguments: [id])
                .map(Self.key(from:))
        }
    }

    func setLimits(of key: VirtualKey) async throws -> VirtualKey? {
        try await self.database.write { db in
            try db.execute(
                sql:
                    "UPDATE virtual_keys SET monthly_requests = ?, monthly_tokens = ?, monthly_microdollars = ? WHERE id = ? AND revoked_at IS NULL",
                arguments: [key.monthlyRequests, key.monthlyTokens, key.monthlyMicrodollars, key.id])
            return try Row.fetchOne(db, sql: "SELECT * FROM virtual_keys WHERE id = ? AND revoked_at IS NULL", arguments: [key.id])
                .map(Self.key(from:))
        }
    }

    private static func key(from row: Row) -> VirtualKey {
        let models: String = row["models"]
        return VirtualKey(
            id: row["id"], name: row["name"], user: row["user"], hash: row["hash"], prefix: row["prefix"],
            createdAt: row["created_at"], expiresAt: row["expires_at"],
            models: models.isEmpty ? [] : models.split(separator: "\n").map(String.init),
            monthlyRequests: row["monthly_requests"], monthlyTokens: row["monthly_tokens"],
            monthlyMicrodollars: row["monthly_microdollars"],
            disabled: row["disabled"]
        )
    }
}
