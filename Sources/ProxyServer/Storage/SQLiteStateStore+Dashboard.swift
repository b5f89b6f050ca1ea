import Foundation
import GRDB
import ProxyEngine

/// The aggregates the dashboard draws, computed by SQLite over the usage records.
extension SQLiteStateStore {
    /// Requests, tokens and errors (status ≥ 400) per `bucketSeconds` from `since` on, for the
    /// records matching `filter` (its `since`, `until` and `limit` are ignored); empty buckets
    /// are left out.
    func usageSeries(bucketSeconds: Int, since: Double, filter: UsageFilter) async throws -> [UsageBucket] {
        try await self.database.read { db in
            var conditions = ["at >= ?"]
            var arguments: [(any DatabaseValueConvertible)?] = [since]
            if let user = filter.user { conditions.append("user = ?"); arguments.append(user) }
            if let key = filter.keyID { conditions.append("key_id = ?"); arguments.append(key) }
            if let model = filter.model { conditions.append("model = ?"); arguments.append(model) }
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT CAST((at - ?) / ? AS INTEGER) AS bucket, COUNT(*) AS requests,
                    COALESCE(SUM(prompt_tokens + completion_tokens), 0) AS tokens, COALESCE(SUM(status >= 400), 0) AS errors,
                    COALESCE(SUM(cost_microdollars), 0) AS cost
                    FROM usage_records WHERE \(conditions.joined(separator: " AND ")) GROUP BY bucket ORDER BY bucket
                    """,
                arguments: StatementArguments([since, bucketSeconds] + arguments)
            )
            return rows.map { row in
                let bucket: Int = row["bucket"]
                return UsageBucket(
                    start: Int(since) + bucket * bucketSeconds, requests: row["requests"], tokens: row["tokens"], errors: row["errors"],
                    costMicrodollars: row["cost"])
            }
        }
    }

    /// Requests, tokens and errors since `since`, over every record.
    func usageSummary(since: Double) async throws -> UsageBucket {
        try await self.database.read { db in
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT COUNT(*) AS requests, COALESCE(SUM(prompt_tokens + completion_tokens), 0) AS tokens,
                    COALESCE(SUM(status >= 400), 0) AS errors, COALESCE(SUM(cost_microdollars), 0) AS cost FROM usage_records WHERE at >= ?
                    """,
                arguments: [since])
            return UsageBucket(
                start: Int(since), requests: row?["requests"] ?? 0, tokens: row?["tokens"] ?? 0, errors: row?["errors"] ?? 0,
                costMicrodollars: row?["cost"] ?? 0)
        }
    }

    func usageShares(since: Double, limit: Int) async throws -> [UsageShare] {
        try await self.database.read { db in
            var shares: [UsageShare] = []
            for (dimension, column) in [(UsageShare.Dimension.user, "user"), (.key, "key_id"), (.model, "model")] {
                let rows = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT \(column) AS name, COUNT(*) AS requests, COALESCE(SUM(prompt_tokens + completion_tokens), 0) AS tokens,
                        COALESCE(SUM(cost_microdollars), 0) AS cost, COALESCE(SUM(NOT priced), 0) AS unpriced
                        FROM usage_records WHERE at >= ? AND \(column) IS NOT NULL GROUP BY \(column) ORDER BY cost DESC, requests DESC LIMIT ?
                        """,
                    arguments: [since, limit])
                shares += rows.map { row in
                    UsageShare(
                        dimension: dimension, name: row["name"], requests: row["requests"], tokens: row["tokens"],
                        costMicrodollars: row["cost"], unpricedRequests: row["unpriced"])
                }
            }
            return shares
        }
    }

    /// When each key last served a request (unix seconds), from the usage records.
    func keysLastUsed() async throws -> [String: Double] {
        try await self.database.read { db in
            var lastUsed: [String: Double] = [:]
            let sql = "SELECT key_id, MAX(at) AS at FROM usage_records WHERE key_id IS NOT NULL GROUP BY key_id"
            for row in try Row.fetchAll(db, sql: sql) { lastUsed[row["key_id"]] = row["at"] }
            return lastUsed
        }
    }
}
