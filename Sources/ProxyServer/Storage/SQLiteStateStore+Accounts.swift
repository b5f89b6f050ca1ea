import GRDB
import ProxyEngine

/// Upstream accounts kept in SQLite.
extension SQLiteStateStore {
    func storedAccounts() async throws -> [StoredAccount] {
        try await self.database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM upstream_accounts ORDER BY provider, name").map { row in
                StoredAccount(
                    provider: row["provider"], name: row["name"], kind: AccountConfig.Kind(rawValue: row["kind"]) ?? .apiKey,
                    weight: row["weight"], sealedAPIKey: row["api_key"], sealedAccessToken: row["access_token"],
                    sealedRefreshToken: row["refresh_token"], expiresAt: row["expires_at"], sealedPKCEVerifier: row["pkce_verifier"],
                    pkceState: row["pkce_state"])
            }
        }
    }

    func save(_ account: StoredAccount) async throws {
        try await self.database.write { db in
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO upstream_accounts
                    (provider, name, kind, weight, api_key, access_token, refresh_token, expires_at, pkce_verifier, pkce_state)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    account.provider, account.name, account.kind.rawValue, account.weight, account.sealedAPIKey, account.sealedAccessToken,
                    account.sealedRefreshToken, account.expiresAt, account.sealedPKCEVerifier, account.pkceState,
                ])
        }
    }

    /// Whether an account was there to remove.
    func removeAccount(provider: String, name: String) async throws -> Bool {
        try await self.database.write { db in
            try db.execute(sql: "DELETE FROM upstream_accounts WHERE provider = ? AND name = ?", arguments: [provider, name])
            return db.changesCount > 0
        }
    }

    /// Keeps a refreshed OAuth account's tokens (sealed) for the next start.
    func saveOAuthTokens(provider: String, account: String, _ tokens: OAuthTokens, box: SecretBox) async throws {
        try await self.database.write { db in
            try db.execute(
                sql: """
                    INSERT INTO upstream_accounts (provider, name, kind, weight, access_token, refresh_token, expires_at)
                    VALUES (?, ?, 'oauth', 1, ?, ?, ?)
                    ON CONFLICT (provider, name) DO UPDATE SET access_token = excluded.access_token,
                        refresh_token = excluded.refresh_token, expires_at = excluded.expires_at
                    """,
                arguments: [provider, account, box.seal(tokens.accessToken), box.seal(tokens.refreshToken), tokens.expiresAt])
        }
    }

}
