import Foundation
import ProxyEngine
import TOMLKit

/// Turns a TOML file into a validated `GatewayConfig`: the one place configuration is decoded.
public enum ConfigLoader {
    /// The file `serve` and `check-config` read: `--config`, else `$PROXY_CONFIG`, else `./config.toml`.
    public static func resolvePath(_ explicit: String?, environment: [String: String]) -> String {
        explicit ?? environment["PROXY_CONFIG"] ?? "config.toml"
    }

    public static func load(path: String, environment: [String: String]) throws(ConfigError) -> GatewayConfig {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError(key: "", "cannot read the configuration file", file: path)
        }
        do {
            return try self.parse(text, environment: environment)
        } catch var error {
            error.file = path
            throw error
        }
    }

    public static func parse(_ text: String, environment: [String: String]) throws(ConfigError) -> GatewayConfig {
        try TableHeaderGuard.check(text)
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ConfigError(key: "", "TOML syntax error at line \(error.source.begin.line): \(error.description)")
        } catch {
            throw ConfigError(key: "", "TOML syntax error: \(error)")
        }
        defer { TOMLMemory.release(table) }
        var root = TOMLTableReader(table: table, path: "", environment: environment)
        var config = GatewayConfig()
        if var server = try root.table("server") {
            config.server.host = try server.string("host") ?? config.server.host
            config.server.port = try server.int("port") ?? config.server.port
            config.server.metricsPort = try server.int("metrics_port") ?? config.server.metricsPort
            config.server.maxBodyBytes = try server.int("max_body_bytes") ?? config.server.maxBodyBytes
            config.server.shutdownGraceSeconds = try server.double("shutdown_grace_seconds") ?? config.server.shutdownGraceSeconds
            config.server.clientTimeoutSeconds = try server.double("client_timeout_seconds") ?? config.server.clientTimeoutSeconds
            config.server.streamKeepaliveSeconds = try server.double("stream_keepalive_seconds") ?? config.server.streamKeepaliveSeconds
            config.server.corsOrigins = try server.stringArray("cors_origins") ?? config.server.corsOrigins
            try server.rejectUnknownKeys()
        }
        if var auth = try root.table("auth") {
            config.auth.jwtSecret = try auth.string("jwt_secret") ?? config.auth.jwtSecret
            config.auth.tokenTTLSeconds = try auth.int("token_ttl_seconds") ?? config.auth.tokenTTLSeconds
            config.auth.loginCacheSeconds = try auth.int("login_cache_seconds") ?? config.auth.loginCacheSeconds
            config.auth.adminKey = try auth.string("admin_key") ?? config.auth.adminKey
            for var user in try auth.tableArray("users") ?? [] {
                config.auth.users.append(
                    AuthUser(
                        username: try user.string("username") ?? "",
                        passwordHash: try user.string("password_hash"),
                        password: try user.string("password"),
                        tier: try user.string("tier") ?? "basic",
                        disabled: try user.bool("disabled") ?? false
                    )
                )
                try user.rejectUnknownKeys()
            }
            try auth.rejectUnknownKeys()
        }
        if var quota = try root.table("quota") {
            config.quota.timezone = try quota.string("timezone") ?? config.quota.timezone
            config.quota.flushEveryRequests = try quota.int("flush_every_requests") ?? config.quota.flushEveryRequests
            config.quota.flushIntervalSeconds = try quota.double("flush_interval_seconds") ?? config.quota.flushIntervalSeconds
            if var tiers = try quota.table("tiers") {
                var parsed: [String: QuotaTier] = [:]
                for name in TOMLMemory.keys(of: tiers.table) {
                    guard var tier = try tiers.table(name) else { continue }
                    parsed[name] = QuotaTier(
                        monthlyRequests: try tier.int("monthly_requests") ?? 0,
                        monthlyTokens: try tier.int("monthly_tokens") ?? 0,
                        requestsPerMinute: try tier.int("requests_per_minute") ?? 0,
                        tokensPerMinute: try tier.int("tokens_per_minute") ?? 0,
                        monthlyUSD: try tier.double("monthly_usd") ?? 0
                    )
                    try tier.rejectUnknownKeys()
                }
                config.quota.tiers = parsed
                try tiers.rejectUnknownKeys()
            }
            try quota.rejectUnknownKeys()
        }
        if var limits = try root.table("limits") {
            config.limits.perTokenConcurrency = try limits.int("per_token_concurrency") ?? config.limits.perTokenConcurrency
            try limits.rejectUnknownKeys()
        }
        if var responses = try root.table("responses") {
            config.responses.retentionDays = try responses.int("retention_days") ?? config.responses.retentionDays
            try responses.rejectUnknownKeys()
        }
        if var storage = try root.table("storage") {
            config.storage.url = try storage.string("url") ?? config.storage.url
            try storage.rejectUnknownKeys()
        }
        if var logging = try root.table("logging") {
            config.logging.level = try logging.string("level") ?? config.logging.level
            if let format = try logging.string("format") {
                guard let parsed = LoggingConfig.Format(rawValue: format) else {
                    throw ConfigError(key: "logging.format", "must be one of: text, json")
                }
                config.logging.format = parsed
            }
            try logging.rejectUnknownKeys()
        }
        if var prices = try root.table("prices") {
            for pattern in TOMLMemory.keys(of: prices.table) {
                guard var price = try prices.table(pattern) else {
                    throw ConfigError(key: "prices.\"\(pattern)\"", "must be a table of dollars per million tokens")
                }
                guard let input = try price.double("input"), let output = try price.double("output") else {
                    throw ConfigError(key: "prices.\"\(pattern)\"", "needs 'input' and 'output' (dollars per million tokens)")
                }
                config.prices.append(
                    PriceConfig(
                        pattern: pattern, input: input, cachedInput: try price.double("cached_input"),
                        cacheWrite: try price.double("cache_write"), output: output))
                try price.rejectUnknownKeys()
            }
            try prices.rejectUnknownKeys()
        }
        for var provider in try root.tableArray("providers") ?? [] {
            config.providers.append(try self.provider(&provider))
            try provider.rejectUnknownKeys()
        }
        try root.rejectUnknownKeys()
        try config.validate()
        return config
    }

    private static func provider(_ reader: inout TOMLTableReader) throws(ConfigError) -> ProviderConfig {
        let kindName = try reader.string("kind") ?? "openai"
        guard let kind = ProviderKind(rawValue: kindName) else {
            throw ConfigError(
                key: reader.keyPath("kind"), "must be one of: \(ProviderKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var provider = ProviderConfig(name: try reader.string("name") ?? "", kind: kind)
        let defaultBaseURL =
            switch kind {
            case .anthropic: "https://api.anthropic.com"
            case .gemini: "https://generativelanguage.googleapis.com/v1beta"
            case .openai, .mock: ""
            }
        provider.baseURL = try reader.string("base_url") ?? defaultBaseURL
        provider.models = try reader.stringArray("models") ?? []
        provider.aliases = try reader.stringMap("aliases") ?? [:]
        if let strategy = try reader.string("strategy") {
            guard let parsed = SelectionStrategy(rawValue: strategy) else {
                throw ConfigError(
                    key: reader.keyPath("strategy"),
                    "must be one of: \(SelectionStrategy.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            provider.strategy = parsed
        }
        provider.timeoutSeconds = try reader.double("timeout_seconds") ?? provider.timeoutSeconds
        provider.connectTimeoutSeconds = try reader.double("connect_timeout_seconds") ?? provider.connectTimeoutSeconds
        provider.requestsPerSecond = try reader.double("requests_per_second") ?? provider.requestsPerSecond
        provider.queueCapacity = try reader.int("queue_capacity") ?? provider.queueCapacity
        provider.queueTimeoutSeconds = try reader.double("queue_timeout_seconds") ?? provider.queueTimeoutSeconds
        provider.maxRetries = try reader.int("max_retries") ?? provider.maxRetries
        provider.firstByteTimeoutSeconds = try reader.double("first_byte_timeout_seconds") ?? provider.firstByteTimeoutSeconds
        provider.exposeRateLimitHeaders = try reader.bool("expose_rate_limit_headers") ?? provider.exposeRateLimitHeaders
        provider.forwardHeaders = try reader.stringArray("forward_headers") ?? provider.forwardHeaders
        if let mode = try reader.string("responses_api") {
            guard let parsed = ResponsesAPIMode(rawValue: mode), kind == .openai || parsed == .translate else {
                throw ConfigError(
                    key: reader.keyPath("responses_api"),
                    kind == .openai
                        ? "must be one of: \(ResponsesAPIMode.allCases.map(\.rawValue).joined(separator: ", "))"
                        : "only an openai provider can take the Responses API natively")
            }
            provider.responsesAPI = parsed
        }
        if var mock = try reader.table("mock") {
            provider.mock.latencyMilliseconds = try mock.int("latency_ms") ?? provider.mock.latencyMilliseconds
            provider.mock.chunks = try mock.int("chunks") ?? provider.mock.chunks
            provider.mock.chunkDelayMilliseconds = try mock.int("chunk_delay_ms") ?? provider.mock.chunkDelayMilliseconds
            try mock.rejectUnknownKeys()
        }
        if var oauth = try reader.table("oauth") {
            var settings = OAuthSettings()
            settings.authorizeURL = try oauth.string("authorize_url") ?? settings.authorizeURL
            settings.tokenURL = try oauth.string("token_url") ?? settings.tokenURL
            settings.clientID = try oauth.string("client_id") ?? settings.clientID
            settings.redirectURI = try oauth.string("redirect_uri") ?? settings.redirectURI
            settings.scopes = try oauth.stringArray("scopes") ?? settings.scopes
            try oauth.rejectUnknownKeys()
            provider.oauth = settings
        }
        for var account in try reader.tableArray("accounts") ?? [] {
            var parsed = AccountConfig(name: try account.string("name") ?? "")
            if let kind = try account.string("kind") {
                guard let parsedKind = AccountConfig.Kind(rawValue: kind) else {
                    throw ConfigError(key: account.keyPath("kind"), "must be one of: api_key, oauth")
                }
                parsed.kind = parsedKind
            }
            parsed.apiKey = try account.string("api_key") ?? ""
            parsed.weight = try account.double("weight") ?? 1
            parsed.refreshToken = try account.string("refresh_token") ?? ""
            parsed.accessToken = try account.string("access_token") ?? ""
            parsed.expiresAt = try account.int("expires_at") ?? 0
            try account.rejectUnknownKeys()
            provider.accounts.append(parsed)
        }
        return provider
    }
}
