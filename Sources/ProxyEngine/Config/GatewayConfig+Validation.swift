extension GatewayConfig {
    /// Every rule a loaded configuration must meet before the gateway starts; the first broken
    /// rule is thrown, naming its key.
    /// The largest `monthly_usd`: a million dollars a month, beyond any team's budget.
    public static let largestBudget = 1_000_000.0

    public func validate() throws(ConfigError) {
        try Self.check(self.server.port >= 0 && self.server.port <= 65535, "server.port", "must be between 0 and 65535")
        try Self.check(
            self.server.metricsPort >= 0 && self.server.metricsPort <= 65535, "server.metrics_port", "must be between 0 and 65535")
        try Self.check(self.server.maxBodyBytes > 0, "server.max_body_bytes", "must be greater than 0")
        try Self.checkSeconds(self.server.shutdownGraceSeconds, "server.shutdown_grace_seconds", allowsZero: true)
        try Self.checkSeconds(self.server.clientTimeoutSeconds, "server.client_timeout_seconds")
        try Self.check(
            self.server.streamKeepaliveSeconds == 0
                || (self.server.streamKeepaliveSeconds >= 0.1 && self.server.streamKeepaliveSeconds <= 3600),
            "server.stream_keepalive_seconds", "must be 0 (off) or between 0.1 and 3600 seconds")
        for (index, origin) in self.server.corsOrigins.enumerated() {
            try Self.check(
                Self.isOrigin(origin), "server.cors_origins[\(index)]",
                "'\(origin)' is not an origin: scheme://host[:port] with no path, or \"*\"")
        }
        try Self.checkCount(self.auth.tokenTTLSeconds, "auth.token_ttl_seconds", range: 1...Self.longestSeconds)
        try Self.checkCount(self.auth.loginCacheSeconds, "auth.login_cache_seconds", range: 0...Self.longestSeconds)
        if !self.auth.adminKey.isEmpty {
            try Self.check(
                self.auth.adminKey.utf8.count >= Self.shortestAdminKey, "auth.admin_key",
                "must be at least \(Self.shortestAdminKey) characters (or empty, which turns /admin off)")
        }
        try Self.checkStorageURL(self.storage.url)
        try Self.check(self.responses.retentionDays > 0, "responses.retention_days", "must be at least 1")
        try Self.check(self.limits.perTokenConcurrency >= 0, "limits.per_token_concurrency", "must not be negative (0 = unlimited)")
        try Self.check(self.quota.flushEveryRequests > 0, "quota.flush_every_requests", "must be greater than 0")
        try Self.checkSeconds(self.quota.flushIntervalSeconds, "quota.flush_interval_seconds")
        for (name, tier) in self.quota.tiers {
            let key = "quota.tiers.\(name)"
            try Self.check(tier.monthlyRequests >= 0, "\(key).monthly_requests", "must not be negative")
            try Self.check(tier.monthlyTokens >= 0, "\(key).monthly_tokens", "must not be negative")
            try Self.check(tier.requestsPerMinute >= 0, "\(key).requests_per_minute", "must not be negative")
            try Self.check(tier.tokensPerMinute >= 0, "\(key).tokens_per_minute", "must not be negative")
            try Self.check(
                tier.monthlyUSD.isFinite && tier.monthlyUSD >= 0 && tier.monthlyUSD <= Self.largestBudget, "\(key).monthly_usd",
                "must be between 0 (unlimited) and \(Int(Self.largestBudget)) dollars")
        }
        for price in self.prices {
            let key = "prices.\"\(price.pattern)\""
            try Self.check(!price.pattern.isEmpty, key, "needs a model name or pattern")
            let parts = [
                ("input", price.input), ("output", price.output), ("cached_input", price.cachedInput ?? 0),
                ("cache_write", price.cacheWrite ?? 0),
            ]
            for (name, dollars) in parts {
                try Self.check(
                    dollars.isFinite && dollars >= 0 && dollars <= ModelPrice.maximumDollarsPerMillion, "\(key).\(name)",
                    "must be dollars per million tokens, between 0 and \(Int(ModelPrice.maximumDollarsPerMillion))")
            }
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
            try Self.checkSeconds(provider.timeoutSeconds, "\(key).timeout_seconds")
            try Self.checkSeconds(provider.connectTimeoutSeconds, "\(key).connect_timeout_seconds")
            try Self.check(
                provider.requestsPerSecond >= 0 && provider.requestsPerSecond <= 1_000_000, "\(key).requests_per_second",
                "must be between 0 (no pacing) and 1000000")
            try Self.checkCount(provider.queueCapacity, "\(key).queue_capacity", range: 0...1_000_000)
            try Self.checkSeconds(provider.queueTimeoutSeconds, "\(key).queue_timeout_seconds")
            try Self.checkCount(provider.maxRetries, "\(key).max_retries", range: 0...100)
            try Self.checkSeconds(provider.firstByteTimeoutSeconds, "\(key).first_byte_timeout_seconds", allowsZero: true)
            try Self.checkCount(provider.mock.chunks, "\(key).mock.chunks", range: 1...100_000)
            try Self.checkCount(provider.mock.latencyMilliseconds, "\(key).mock.latency_ms", range: 0...3_600_000)
            try Self.checkCount(provider.mock.chunkDelayMilliseconds, "\(key).mock.chunk_delay_ms", range: 0...3_600_000)
            for (headerIndex, pattern) in provider.forwardHeaders.enumerated() {
                try Self.check(
                    HeaderPolicy.isForwardable(pattern: pattern), "\(key).forward_headers[\(headerIndex)]",
                    "'\(pattern)' names a credential, cookie or hop-by-hop header, which never go upstream")
            }
            var accountNames: Set<String> = []
            for (accountIndex, account) in provider.accounts.enumerated() {
                let accountKey = "\(key).accounts[\(accountIndex)]"
                try Self.check(!account.name.isEmpty, "\(accountKey).name", "must not be empty")
                try Self.check(accountNames.insert(account.name).inserted, "\(accountKey).name", "'\(account.name)' is defined twice")
                try Self.check(AccountConfig.isValidWeight(account.weight), "\(accountKey).weight", AccountConfig.weightRule)
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

    /// Ten years: past this a duration or TTL is a typo, and converting it to nanoseconds (or
    /// adding it to a unix time) could overflow.
    public static let longestSeconds = 10 * 365 * 24 * 3600
    public static let shortestAdminKey = 16

    private static func check(_ condition: Bool, _ key: String, _ message: String) throws(ConfigError) {
        if !condition { throw ConfigError(key: key, message) }
    }

    /// A duration in seconds: finite, positive (or zero where that means "none"), at most ten years.
    private static func checkSeconds(_ value: Double, _ key: String, allowsZero: Bool = false) throws(ConfigError) {
        let lower = allowsZero ? "0" : "greater than 0"
        try Self.check(
            value.isFinite && (allowsZero ? value >= 0 : value > 0) && value <= Double(Self.longestSeconds), key,
            "must be \(lower) and at most \(Self.longestSeconds) seconds")
    }

    private static func checkCount(_ value: Int, _ key: String, range: ClosedRange<Int>) throws(ConfigError) {
        try Self.check(range.contains(value), key, "must be between \(range.lowerBound) and \(range.upperBound)")
    }

    /// `*`, or `http(s)://host[:port]` exactly as a browser sends it in `Origin`.
    static func isOrigin(_ value: String) -> Bool {
        if value == "*" { return true }
        let authority: Substring
        if value.hasPrefix("https://") {
            authority = value.dropFirst("https://".count)
        } else if value.hasPrefix("http://") {
            authority = value.dropFirst("http://".count)
        } else {
            return false
        }
        return !authority.isEmpty
            && !authority.contains { $0 == "/" || $0 == "?" || $0 == "#" || $0 == " " || $0 == "*" }
    }

    private static func isHTTPURL(_ value: String) -> Bool {
        (value.hasPrefix("http://") || value.hasPrefix("https://")) && value.count > "https://".count - 1
    }

    /// The scheme and, for PostgreSQL, the `sslmode`: what can be told without connecting (the
    /// rest is checked when the store opens, with the same key in the message).
    static func checkStorageURL(_ url: String) throws(ConfigError) {
        let isSQLite = url.hasPrefix("sqlite:") && url.count > "sqlite:".count
        let isPostgres = url.hasPrefix("postgres://") || url.hasPrefix("postgresql://")
        try Self.check(
            isSQLite || isPostgres, "storage.url",
            "must be sqlite:PATH, sqlite::memory: or postgres://USER:PASS@HOST:PORT/DB (got '\(url.prefix(12))…')")
        guard isPostgres, let query = url.split(separator: "?", maxSplits: 1).dropFirst().first else { return }
        for item in query.split(separator: "&") where item.hasPrefix("sslmode=") {
            let mode = item.dropFirst("sslmode=".count)
            try Self.check(
                ["disable", "prefer", "require", "verify-full"].contains(mode), "storage.url",
                "sslmode must be disable, prefer, require or verify-full (got '\(mode)')")
        }
    }
}
