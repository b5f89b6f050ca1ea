import ProxyEngine

/// An upstream account kept in the state store (added by `proxy-server accounts` or `oauth`),
/// its secrets sealed.
struct StoredAccount: Sendable, Equatable {
    var provider: String
    var name: String
    var kind: AccountConfig.Kind
    var weight: Double
    var sealedAPIKey: String?
    var sealedAccessToken: String?
    var sealedRefreshToken: String?
    var expiresAt: Double?
    /// An OAuth authorization in progress (`oauth start`), waiting for its `oauth callback`.
    var sealedPKCEVerifier: String?
    var pkceState: String?

    var hasSecrets: Bool { self.sealedAPIKey != nil || self.sealedAccessToken != nil || self.sealedRefreshToken != nil }

    /// As configuration, secrets opened.
    func accountConfig(_ box: SecretBox) throws(SecretBox.CannotOpen) -> AccountConfig {
        var account = AccountConfig(name: self.name, apiKey: try self.sealedAPIKey.map(box.open) ?? "", weight: self.weight)
        account.kind = self.kind
        account.accessToken = try self.sealedAccessToken.map(box.open) ?? ""
        account.refreshToken = try self.sealedRefreshToken.map(box.open) ?? ""
        account.expiresAt = Int(self.expiresAt ?? 0)
        return account
    }
}

extension StateStore {
    /// `config` with the store's accounts: added to their provider, or, for an account of the
    /// same name in the file, supplying the secrets the store holds (the tokens of a refreshed
    /// OAuth account). Refuses to start when the store holds secrets and no master key opens them.
    func mergingAccounts(into config: GatewayConfig, masterKey: String?) async throws(ConfigError) -> GatewayConfig {
        let stored: [StoredAccount]
        do {
            stored = try await self.storedAccounts()
        } catch {
            throw ConfigError(key: "storage.url", "cannot read the upstream accounts: \(error)")
        }
        guard !stored.isEmpty else { return config }
        let box = masterKey.flatMap(SecretBox.init(masterKey:))
        if stored.contains(where: \.hasSecrets), box == nil {
            throw ConfigError(
                key: SecretBox.environmentVariable,
                "the state store holds encrypted upstream secrets; set \(SecretBox.environmentVariable) to the key they were sealed with")
        }
        var config = config
        for account in stored {
            guard let providerIndex = config.providers.firstIndex(where: { $0.name == account.provider }) else { continue }
            guard AccountConfig.isValidWeight(account.weight) else {
                throw ConfigError(
                    key: "storage.url", "the stored account \(account.provider)/\(account.name)'s weight \(AccountConfig.weightRule)")
            }
            let opened: AccountConfig
            do {
                opened = try box.map(account.accountConfig) ?? AccountConfig(name: account.name)
            } catch {
                throw ConfigError(key: SecretBox.environmentVariable, error.description)
            }
            // An OAuth authorization not yet completed has no token to serve with.
            if account.kind == .oauth, opened.refreshToken.isEmpty, opened.accessToken.isEmpty { continue }
            if let existing = config.providers[providerIndex].accounts.firstIndex(where: { $0.name == account.name }) {
                var merged = config.providers[providerIndex].accounts[existing]
                if !opened.apiKey.isEmpty { merged.apiKey = opened.apiKey }
                if !opened.refreshToken.isEmpty {
                    merged.refreshToken = opened.refreshToken
                    merged.accessToken = opened.accessToken
                    merged.expiresAt = opened.expiresAt
                }
                config.providers[providerIndex].accounts[existing] = merged
            } else {
                config.providers[providerIndex].accounts.append(opened)
            }
        }
        return config
    }
}
