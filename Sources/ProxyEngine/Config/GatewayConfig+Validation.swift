extension GatewayConfig {
    /// Every rule a loaded configuration must meet before the gateway starts; the first broken
    /// rule is thrown, naming its key.
    public func validate() throws(ConfigError) {
        try Self.check(self.server.port >= 0 && self.server.port <= 65535, "server.port", "must be between 0 and 65535")
        try Self.check(
            self.server.metricsPort >= 0 && self.server.metricsPort <= 65535, "server.metrics_port", "must be between 0 and 65535")
        try Self.check(self.server.maxBodyBytes > 0, "server.max_body_bytes", "must be greater than 0")
        try Self.check(self.server.shutdownGraceSeconds >= 0, "server.shutdown_grace_seconds", "must not be negative")
        try Self.check(self.auth.tokenTTLSeconds > 0, "auth.token_ttl_seconds", "must be greater than 0")
        try Self.check(self.auth.loginCacheSeconds >= 0, "auth.login_cache_seconds", "must not be negative")
        try Self.check(self.limits.perTokenConcurrency >= 0, "limits.per_token_concurrency", "must not be negative (0 = unlimited)")
        try Self.check(self.quota.flushEveryRequests > 0, "quota.flush_every_requests", "must be greater than 0")
        try Self.check(self.quota.flushIntervalSeconds > 0, "quota.flush_interval_seconds", "must be greater than 0")
        for (name, tier) in self.quota.tiers {
            let key = "quota.tiers.\(name)"
            try Self.check(tier.monthlyRequests >= 0, "\(key).monthly_requests", "must not be negative")
            try Self.check(tier.monthlyTokens >= 0, "\(key).monthly_tokens", "must not be negative")
            try Self.check(tier.requestsPerMinute >= 0, "\(key).requests_per_minute", "must not be negative")
            try Self.check(tier.tokensPerMinute >= 0, "\(key).tokens_per_minute", "must not be negative")
        }
        var usernames: Set<String> = []
        for (index, user) in self.auth.users.enumerated() {
            let key = "auth.users[\(index)]"
            try Self.check(!user.username.isEmpty, "\(key).username", "must not be empty")
            try Self.check(usernames.insert(user.username).inserted, "\(key).username", "'\(user.username)' is defined twice")
            try Self.check(user.passwordHash != nil || user.password != nil, "\(key)", "needs password_hash (or password, for demos)")
            try Self.check(self.quota.tiers[user.tier] != nil, "\(key).tier", "'\(user.tier)' is not a tier in [quota.tiers]")
            if let hash = user.passwordHash {
                try Self.check(
                    PasswordHash.isWellFormed(hash), "\(key).password_hash", "is not a hash made by 'proxy-server hash-password'")
            }
        }
        if !self.auth.users.isEmpty {
            try Self.check(
                self.auth.jwtSecret.utf8.count >= 16, "auth.jwt_secret", "must be set, at least 16 characters, when users are configured")
        }
        try Self.check(!self.providers.isEmpty, "providers", "at least one [[providers]] entry is needed")
        var providerNames: Set<String> = []
        for (index, provider) in self.providers.enumerated() {
            let key = "providers[\(index)]"
            try Self.check(!provider.name.isEmpty, "\(key).name", "must not be empty")
            try Self.check(providerNames.insert(provider.name).inserted, "\(key).name", "'\(provider.name)' is defined twice")
            try Self.check(!provider.models.isEmpty || !provider.aliases.isEmpty, "\(key).models", "must list at least one model pattern")
            if provider.kind != .mock {
                try Self.check(Self.isHTTPURL(provider.baseURL), "\(key).base_url", "must be an http:// or https:// URL")
                // No account in the file is fine: `proxy-server accounts` may keep them in the store.
            }
            try Self.check(provider.timeoutSeconds > 0, "\(key).timeout_seconds", "must be greater than 0")
            try Self.check(provider.connectTimeoutSeconds > 0, "\(key).connect_timeout_seconds", "must be greater than 0")
            try Self.check(provider.requestsPerSecond >= 0, "\(key).requests_per_second", "must not be negative (0 = no pacing)")
            try Self.check(provider.queueCapacity >= 0, "\(key).queue_capacity", "must not be negative")
            try Self.check(provider.queueTimeoutSeconds > 0, "\(key).queue_timeout_seconds", "must be greater than 0")
            try Self.check(provider.maxRetries >= 0, "\(key).max_retries", "must not be negative")
            try Self.check(
                provider.firstByteTimeoutSeconds >= 0, "\(key).first_byte_timeout_seconds", "must not be negative (0 = the whole deadline)")
            try Self.check(provider.mock.chunks > 0, "\(key).mock.chunks", "must be greater than 0")
            var accountNames: Set<String> = []
            for (accountIndex, account) in provider.accounts.enumerated() {
                let accountKey = "\(key).accounts[\(accountIndex)]"
                try Self.check(!account.name.isEmpty, "\(accountKey).name", "must not be empty")
                try Self.check(accountNames.insert(account.name).inserted, "\(accountKey).name", "'\(account.name)' is defined twice")
                try Self.check(account.weight > 0, "\(accountKey).weight", "must be greater than 0")
                switch account.kind {
                case .apiKey:
                    try Self.check(!account.apiKey.isEmpty || provider.kind == .mock, "\(accountKey).api_key", "must not be empty")
                case .oauth:
                    try Self.check(
                        provider.kind == .anthropic, "\(accountKey).kind",
                        "oauth accounts are for 'anthropic' providers (subscription accounts)")
                }
            }
        }
    }

    private static func check(_ condition: Bool, _ key: String, _ message: String) throws(ConfigError) {
        if !condition { throw ConfigError(key: key, message) }
    }

    private static func isHTTPURL(_ value: String) -> Bool {
        (value.hasPrefix("http://") || value.hasPrefix("https://")) && value.count > "https://".count - 1
    }
}
