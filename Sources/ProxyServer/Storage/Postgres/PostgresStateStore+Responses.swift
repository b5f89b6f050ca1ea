import PostgresNIO
import ProxyEngine

/// Stored Responses-API responses kept in PostgreSQL: a chain of `previous_response_id` works
/// whichever instance serves each turn.
extension PostgresStateStore {
    func save(_ response: StoredResponse) async throws {
        try await self.run { client in
            try await client.query("DELETE FROM stored_responses WHERE expires_at < \(response.createdAt)", logger: self.logger)
            try await client.query(
                """
                INSERT INTO stored_responses (id, "user", created_at, expires_at, document)
                VALUES (\(response.id), \(response.user), \(response.createdAt), \(response.expiresAt), \(response.document))
                ON CONFLICT (id) DO UPDATE SET "user" = excluded."user", created_at = excluded.created_at,
                    expires_at = excluded.expires_at, document = excluded.document
                """, logger: self.logger)
        }
    }

    func storedResponse(id: String, user: String, now: Double) async throws -> StoredResponse? {
        try await self.run { client in
            var found: StoredResponse?
            for try await row in try await client.query(
                """
                SELECT id, "user", created_at, expires_at, document FROM stored_responses
                WHERE id = \(id) AND "user" = \(user) AND expires_at >= \(now)
                """, logger: self.logger
            ).decode((String, String, Double, Double, String).self) {
                found = StoredResponse(id: row.0, user: row.1, createdAt: row.2, expiresAt: row.3, document: row.4)
            }
            return found
        }
    }

    func deleteStoredResponse(id: String, user: String) async throws -> Bool {
        try await self.run { client in
            var removed = false
            for try await _ in try await client.query(
                #"DELETE FROM stored_responses WHERE id = \#(id) AND "user" = \#(user) RETURNING id"#, logger: self.logger
            ).decode(String.self) {
                removed = true
            }
            return removed
        }
    }
}
