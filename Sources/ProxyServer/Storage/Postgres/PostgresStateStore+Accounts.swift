import PostgresNIO
import ProxyEngine

/// Upstream accounts kept in PostgreSQL, their secrets sealed as in SQLite.
extension PostgresStateStore {
    func storedAccounts() async throws -> [StoredAccount] {
        try await self.run { client in
            var accounts: [StoredAccount] = []
            for try await row in try await client.query(
                """
                SELECT provider, name, kind, weight, api_key, access_token, refresh_token, expires_at, pkce_verifier, pkce_state
                FROM upstream_accounts ORDER BY provider, name
                """, logger: self.logger
            ).decode((String, String, String, Double, String?, String?, String?, Double?, String?, String?).self) {
                accounts.append(
                    StoredAccount(
                        provider: row.0, name: row.1, kind: AccountConfig.Kind(rawValue: row.2) ?? .apiKey, weight: row.3,
                        sealedAPIKey: row.4, sealedAccessToken: row.5, sealedRefreshToken: row.6, expiresAt: row.7,
                        sealedPKCEVerifier: row.8, pkceState: row.9))
            }
            return accounts
        }
    }

    func save(_ account: StoredAccount) async throws {
        try await self.run { client in
            try await client.query(
                """
                INSERT INTO upstream_accounts (provider, name, kind, weight, api_key, access_token, refresh_token, expires_at, pkce_verifier, pkce_state)
                VALUES (\(account.provider), \(account.name), \(account.kind.rawValue), \(account.weight), \(account.sealedAPIKey),
                \(account.sealedAccessToken), \(account.sealedRefreshToken), \(account.expiresAt), \(account.sealedPKCEVerifier), \(account.pkceState))
                ON CONFLICT (provider, name) DO UPDATE SET kind = excluded.kind, weight = excluded.weight, api_key = excluded.api_key,
                    access_token = excluded.access_token, refresh_token = excluded.refresh_token, expires_at = excluded.expires_at,
                    pkce_verifier = excluded.pkce_verifier, pkce_state = excluded.pkce_state
                """, logger: self.logger)
        }
        try? await self.notify(.accountsChanged)
    }

    func removeAccount(provider: String, name: String) async throws -> Bool {
        let removed = try await self.run { client in
            var removed = false
            for try await _ in try await client.query(
                "DELETE FROM upstream_accounts WHERE provider = \(provider) AND name = \(name) RETURNING name", logger: self.logger
            ).decode(String.self) {
                removed = true
            }
            return removed
        }
        if removed { try? await self.notify(.accountsChanged) }
        return removed
    }

    func saveOAuthTokens(provider: String, account: String, _ tokens: OAuthTokens, box: SecretBox) async throws {
        let access = box.seal(tokens.accessToken)
        let refresh = box.seal(tokens.refreshToken)
        try await self.run { client in
            try await client.query(
                """
                INSERT INTO upstream_accounts (provider, name, kind, weight, access_token, refresh_token, expires_at)
                VALUES (\(provider), \(account), 'oauth', 1, \(access), \(refresh), \(tokens.expiresAt))
                ON CONFLICT (provider, name) DO UPDATE SET access_token = excluded.access_token,
                    refresh_token = excluded.refresh_token, expires_at = excluded.expires_at
                """, logger: self.logger)
        }
    }
}
