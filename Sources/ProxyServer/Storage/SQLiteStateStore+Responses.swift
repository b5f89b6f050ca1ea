import GRDB
import ProxyEngine

/// Stored Responses-API responses kept in SQLite.
extension SQLiteStateStore {
    func save(_ response: StoredResponse) async throws {
        try await self.database.write { db in
            try db.execute(sql: "DELETE FROM stored_responses WHERE expires_at < ?", arguments: [response.createdAt])
            try db.execute(
                sql: "INSERT OR REPLACE INTO stored_responses (id, user, created_at, expires_at, document) VALUES (?, ?, ?, ?, ?)",
                arguments: [response.id, response.user, response.createdAt, response.expiresAt, response.document])
        }
    }

    func storedResponse(id: String, user: String, now: Double) async throws -> StoredResponse? {
        try await self.database.read { db in
            try Row.fetchOne(
                db, sql: "SELECT * FROM stored_responses WHERE id = ? AND user = ? AND expires_at >= ?", arguments: [id, user, now]
            ).map { row in
                StoredResponse(
                    id: row["id"], user: row["user"], createdAt: row["created_at"], expiresAt: row["expires_at"], document: row["document"])
            }
        }
    }

    func deleteStoredResponse(id: String, user: String) async throws -> Bool {
        try await self.database.write { db in
            try db.execute(sql: "DELETE FROM stored_responses WHERE id = ? AND user = ?", arguments: [id, user])
            return db.changesCount > 0
        }
    }
}
