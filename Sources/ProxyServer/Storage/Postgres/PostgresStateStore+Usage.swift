import Foundation
import PostgresNIO
import ProxyEngine

/// Usage records and the dashboard's aggregates in PostgreSQL: every instance writes to the
/// same table, so any instance answers for all of them.
extension PostgresStateStore {
    func save(_ records: [UsageRecord]) async throws {
        guard !records.isEmpty else { return }
        // One statement per batch: the columns as arrays, unnested (arrays carry no NULL here:
        // '' and -1 stand for a missing key id and time to first byte).
        try await self.run { client in
            try await client.query(
                """
                INSERT INTO usage_records (at, "user", key_id, model, provider, account, prompt_tokens, completion_tokens, estimated, status, latency_ms, ttfb_ms, door, cache_read_tokens, cache_write_tokens, reasoning_tokens, cost_microdollars, priced)
                SELECT at, u, NULLIF(k, ''), m, p, a, pt, ct, e, s, l, NULLIF(t, -1), d, cr, cw, rt, c, pr FROM unnest(\(records.map(\.at)),
                \(records.map(\.user)), \(records.map { $0.keyID ?? "" }), \(records.map(\.model)), \(records.map(\.provider)),
                \(records.map(\.account)), \(records.map(\.promptTokens)), \(records.map(\.completionTokens)), \(records.map(\.estimated)),
                \(records.map(\.status)), \(records.map(\.latencyMilliseconds)), \(records.map { $0.timeToFirstByteMilliseconds ?? -1 }), \(records.map(\.door)),
                \(records.map(\.cacheReadTokens)), \(records.map(\.cacheWriteTokens)), \(records.map(\.reasoningTokens)),
                \(records.map(\.costMicrodollars)), \(records.map(\.priced)))
                AS r(at, u, k, m, p, a, pt, ct, e, s, l, t, d, cr, cw, rt, c, pr)
                """, logger: self.logger)
        }
    }

    private func conditions(_ filter: UsageFilter, since: Double?, until: Double?, bindings: inout PostgresBindings) -> String {
        var conditions: [String] = []
        func add(_ sql: String, _ value: some PostgresDynamicTypeEncodable) {
            bindings.append(value)
            conditions.append(sql.replacingOccurrences(of: "?", with: "$\(bindings.count)"))
        }
        if let user = filter.user { add(#""user" = ?"#, user) }
        if let key = filter.keyID { add("key_id = ?", key) }
        if let model = filter.model { add("model = ?", model) }
        if let since { add("at >= ?", since) }
        if let until { add("at < ?", until) }
        return conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
    }

    func usage(_ filter: UsageFilter) async throws -> (records: [UsageRecord], totals: UsageTotals) {
        var bindings = PostgresBindings()
        let whereClause = self.conditions(filter, since: filter.since, until: filter.until, bindings: &bindings)
        var limited = bindings
        limited.append(filter.limit)
        let recordsQuery = PostgresQuery(
            unsafeSQL: """
                SELECT at, "user", key_id, model, provider, account, prompt_tokens, completion_tokens, estimated, status, latency_ms, ttfb_ms, door,
                cache_read_tokens, cache_write_tokens, reasoning_tokens, cost_microdollars, priced
                FROM usage_records \(whereClause) ORDER BY at DESC, id DESC LIMIT $\(limited.count)
                """, binds: limited)
        let totalsQuery = PostgresQuery(
            unsafeSQL: """
                SELECT COUNT(*), COALESCE(SUM(prompt_tokens), 0)::BIGINT, COALESCE(SUM(completion_tokens), 0)::BIGINT,
                COUNT(*) FILTER (WHERE estimated), COALESCE(SUM(cache_read_tokens), 0)::BIGINT,
                COALESCE(SUM(cache_write_tokens), 0)::BIGINT, COALESCE(SUM(reasoning_tokens), 0)::BIGINT,
                COALESCE(SUM(cost_microdollars), 0)::BIGINT FROM usage_records \(whereClause)
                """, binds: bindings)
        return try await self.run { client in
            var records: [UsageRecord] = []
            for try await row in try await client.query(recordsQuery, logger: self.logger)
                .decode(
                    (
                        Double, String, String?, String, String, String, Int, Int, Bool, Int, Double, Double?, String, Int, Int, Int, Int,
                        Bool
                    ).self)
            {
                records.append(
                    UsageRecord(
                        at: row.0, user: row.1, keyID: row.2, model: row.3, provider: row.4, account: row.5, promptTokens: row.6,
                        completionTokens: row.7, estimated: row.8, status: row.9, latencyMilliseconds: row.10,
                        timeToFirstByteMilliseconds: row.11, door: row.12, cacheReadTokens: row.13, cacheWriteTokens: row.14,
                        reasoningTokens: row.15, costMicrodollars: row.16, priced: row.17))
            }
            var totals = UsageTotals()
            for try await (requests, prompt, completion, estimated, cacheRead, cacheWrite, reasoning, cost) in try await client.query(
                totalsQuery, logger: self.logger
            )
            .decode((Int, Int, Int, Int, Int, Int, Int, Int).self) {
                totals = UsageTotals(
                    requests: requests, promptTokens: prompt, completionTokens: completion, estimatedRequests: estimated,
                    cacheReadTokens: cacheRead, cacheWriteTokens: cacheWrite, reasoningTokens: reasoning, costMicrodollars: cost)
            }
            return (records, totals)
        }
    }

    func usageSeries(bucketSeconds: Int, since: Double, filter: UsageFilter) async throws -> [UsageBucket] {
        var bindings = PostgresBindings()
        bindings.append(since)
        bindings.append(Double(bucketSeconds))
        let whereClause = self.conditions(filter, since: since, until: nil, bindings: &bindings)
        let query = PostgresQuery(
            unsafeSQL: """
                SELECT FLOOR((at - $1) / $2)::BIGINT AS bucket, COUNT(*), COALESCE(SUM(prompt_tokens + completion_tokens), 0)::BIGINT,
                COUNT(*) FILTER (WHERE status >= 400), COALESCE(SUM(cost_microdollars), 0)::BIGINT
                FROM usage_records \(whereClause) GROUP BY bucket ORDER BY bucket
                """, binds: bindings)
        return try await self.run { client in
            var buckets: [UsageBucket] = []
            for try await (bucket, requests, tokens, errors, cost) in try await client.query(query, logger: self.logger)
                .decode((Int, Int, Int, Int, Int).self)
            {
                buckets.append(
                    UsageBucket(
                        start: Int(since) + bucket * bucketSeconds, requests: requests, tokens: tokens, errors: errors,
                        costMicrodollars: cost))
            }
            return buckets
        }
    }

    func usageSummary(since: Double) async throws -> UsageBucket {
        try await self.run { client in
            var summary = UsageBucket(start: Int(since), requests: 0, tokens: 0, errors: 0)
            for try await (requests, tokens, errors, cost) in try await client.query(
                """
                SELECT COUNT(*), COALESCE(SUM(prompt_tokens + completion_tokens), 0)::BIGINT, COUNT(*) FILTER (WHERE status >= 400),
                COALESCE(SUM(cost_microdollars), 0)::BIGINT FROM usage_records WHERE at >= \(since)
                """, logger: self.logger
            ).decode((Int, Int, Int, Int).self) {
                summary = UsageBucket(start: Int(since), requests: requests, tokens: tokens, errors: errors, costMicrodollars: cost)
            }
            return summary
        }
    }

    func usageShares(since: Double, limit: Int) async throws -> [UsageShare] {
        try await self.run { client in
            var shares: [UsageShare] = []
            for (dimension, column) in [(UsageShare.Dimension.user, #""user""#), (.key, "key_id"), (.model, "model")] {
                var bindings = PostgresBindings()
                bindings.append(since)
                bindings.append(limit)
                let query = PostgresQuery(
                    unsafeSQL: """
                        SELECT \(column), COUNT(*), COALESCE(SUM(prompt_tokens + completion_tokens), 0)::BIGINT,
                        COALESCE(SUM(cost_microdollars), 0)::BIGINT, COUNT(*) FILTER (WHERE NOT priced)
                        FROM usage_records WHERE at >= $1 AND \(column) IS NOT NULL GROUP BY \(column)
                        ORDER BY 4 DESC, 2 DESC LIMIT $2
                        """, binds: bindings)
                for try await (name, requests, tokens, cost, unpriced) in try await client.query(query, logger: self.logger)
                    .decode((String, Int, Int, Int, Int).self)
                {
                    shares.append(
                        UsageShare(
                            dimension: dimension, name: name, requests: requests, tokens: tokens, costMicrodollars: cost,
                            unpricedRequests: unpriced))
                }
            }
            return shares
        }
    }

    func keysLastUsed() async throws -> [String: Double] {
        try await self.run { client in
            var lastUsed: [String: Double] = [:]
            for try await (key, at) in try await client.query(
                "SELECT key_id, MAX(at) FROM usage_records WHERE key_id IS NOT NULL GROUP BY key_id", logger: self.logger
            ).decode((String, Double).self) {
                lastUsed[key] = at
            }
            return lastUsed
        }
    }

    func save(_ batches: [QuotaManager.Batch], at now: Int) async throws {
        for batch in batches where !batch.usage.isEmpty {
            let subjects = Array(batch.usage.keys)
            let requests = subjects.map { batch.usage[$0]!.requests }
            let tokens = subjects.map { batch.usage[$0]!.tokens }
            let microdollars = subjects.map { batch.usage[$0]!.microdollars }
            try await self.run { client in
                try await client.query(
                    """
                    INSERT INTO quota_counts (subject, period, requests, used, tokens, microdollars, updated_at)
                    SELECT s, \(batch.period), r, r, t, m, \(now) FROM unnest(\(subjects), \(requests), \(tokens), \(microdollars)) AS u(s, r, t, m)
                    ON CONFLICT (subject, period) DO UPDATE SET requests = excluded.requests, used = excluded.used, tokens = excluded.tokens,
                        microdollars = excluded.microdollars, updated_at = excluded.updated_at
                    """, logger: self.logger)
            }
        }
    }

    func quotaCounts(period: String) async throws -> [String: QuotaManager.Usage] {
        try await self.run { client in
            var counts: [String: QuotaManager.Usage] = [:]
            for try await (subject, requests, tokens, microdollars) in try await client.query(
                "SELECT subject, used, tokens, microdollars FROM quota_counts WHERE period = \(period)", logger: self.logger
            ).decode((String, Int, Int, Int).self) {
                counts[subject] = QuotaManager.Usage(requests: requests, tokens: tokens, microdollars: microdollars)
            }
            return counts
        }
    }
}
