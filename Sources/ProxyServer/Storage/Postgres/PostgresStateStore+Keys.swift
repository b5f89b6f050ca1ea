import PostgresNIO
import ProxyEngine

/// Virtual keys in PostgreSQL. Every change is announced on `proxy_events`, so that the other
/// instances drop their cached copy at once (their cache's age is the backstop).
extension PostgresStateStore {
    private static let keyColumns =
        #"id, name, "user", hash, prefix, created_at, expires_at, models, monthly_requests, monthly_tokens, disabled, monthly_microdollars"#

    func insert(_ key: VirtualKey) async throws {
        let models = key.models.joined(separator: "\n")
        try await self.run { client in
            try await client.query(
                """
                INSERT INTO virtual_keys (id, name, "user", hash, prefix, created_at, expires_at, models, monthly_requests, monthly_tokens, disabled,
                monthly_microdollars)
                VALUES (\(key.id), \(key.name), \(key.user), \(key.hash), \(key.prefix), \(key.createdAt), \(key.expiresAt), \(models),
                \(key.monthlyRequests), \(key.monthlyTokens), \(key.disabled), \(key.monthlyMicrodollars))
                """, logger: self.logger)
        }
        try? await self.notify(.keyChanged(hash: key.hash))
    }

    func key(hash: String) async throws -> VirtualKey? {
        try await self.fetchKeys(
            PostgresQuery(
                unsafeSQL: "SELECT \(Self.keyColumns) FROM virtual_keys WHERE hash = $1 AND revoked_at IS NULL",
                binds: Self.binds(hash))
        ).first
    }

    func keys() async throws -> [VirtualKey] {
        try await self.fetchKeys(
            PostgresQuery(unsafeSQL: "SELECT \(Self.keyColumns) FROM virtual_keys WHERE revoked_at IS NULL ORDER BY created_at, id"))
    }

    func revoke(id: String, at now: Int) async throws -> VirtualKey? {
        let revoked = try await self.fetchKeys(
            PostgresQuery(
                unsafeSQL: "UPDATE virtual_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL RETURNING \(Self.keyColumns)",
                binds: Self.binds(now, id))
        ).first
        if let revoked { try? await self.notify(.keyChanged(hash: revoked.hash)) }
        return revoked
    }

    func setDisabled(id: String, _ disabled: Bool) async throws -> VirtualKey? {
        let changed = try await self.fetchKeys(
            PostgresQuery(
                unsafeSQL: "UPDATE virtual_keys SET disabled = $1 WHERE id = $2 AND revoked_at IS NULL RETURNING \(Self.keyColumns)",
                binds: Self.binds(disabled, id))
        ).first
        if let changed { try? await self.notify(.keyChanged(hash: changed.hash)) }
        return changed
    }

    func setLimits(of key: VirtualKey) async throws -> VirtualKey? {
        var bindings = PostgresBindings()
        bindings.append(key.monthlyRequests)
        bindings.append(key.monthlyTokens)
        bindings.append(key.monthlyMicrodollars)
        bindings.append(key.id)
        let changed = try await self.fetchKeys(
            PostgresQuery(
                unsafeSQL: """
                    UPDATE virtual_keys SET monthly_requests = $1, monthly_tokens = $2, monthly_microdollars = $3
                    WHERE id = $4 AND revoked_at IS NULL RETURNING \(Self.keyColumns)
                    """,
                binds: bindings)
        ).first
        if let changed { try? await self.notify(.keyChanged(hash: changed.hash)) }
        return changed
    }

    private func fetchKeys(_ query: PostgresQuery) async throws -> [VirtualKey] {
        try await self.run { client in
            var keys: [VirtualKey] = []
            let rows = try await client.query(query, logger: self.logger)
            for try await (
                id, name, user, hash, prefix, createdAt, expiresAt, models, monthlyRequests, monthlyTokens, disabled, microdollars
            )
                in rows
                .decode((String, String, String, String, String, Int, Int?, String, Int?, Int?, Bool, Int?).self)
            {
                keys.append(
                    VirtualKey(
                        id: id, name: name, user: user, hash: hash, prefix: prefix, createdAt: createdAt, expiresAt: expiresAt,
                        models: models.isEmpty ? [] : models.split(separator: "\n").map(String.init),
                        monthlyRequests: monthlyRequests, monthlyTokens: monthlyTokens, monthlyMicrodollars: microdollars,
                        disabled: disabled))
            }
            return keys
        }
    }

    static func binds<each Value: PostgresDynamicTypeEncodable>(_ values: repeat each Value) -> PostgresBindings {
        var bindings = PostgresBindings()
        repeat bindings.append(each values)
        return bindings
    }
}
