/// The whole gateway configuration: a value with a default for every key, so a config file only
/// names what it changes. Decoded from TOML by the server, validated by `validate()`.
public struct GatewayConfig: Sendable, Equatable {
    public var server = ServerConfig()
    public var auth = AuthConfig()
    public var quota = QuotaConfig()
    public var limits = LimitsConfig()
    public var storage = StorageConfig()
    public var responses = ResponsesConfig()
    public var logging = LoggingConfig()
    public var providers: [ProviderConfig] = []
    /// `[prices."pattern"]`, in file order.
    public var prices: [PriceConfig] = []

    public init() {}
}

public struct ServerConfig: Sendable, Equatable {
    public var host = "127.0.0.1"
    public var port = 8080
    /// 0 serves `/metrics` on the main port.
    public var metricsPort = 9090
    public var maxBodyBytes = 10 * 1024 * 1024
    public var shutdownGraceSeconds = 30.0
    /// A client must send a request's head within this of its connection going idle, and the
    /// body within this of the head; idle keep-alive connections are closed after it.
    public var clientTimeoutSeconds = 60.0
    /// While an upstream stream says nothing for this long, the client gets its format's
    /// keep-alive (Anthropic's `ping`, an SSE comment on the OpenAI formats); 0 = never.
    public var streamKeepaliveSeconds = 15.0
    /// Browser origins allowed to call the API (`https://app.example.com`, or `*`); empty: no CORS.
    public var corsOrigins: [String] = []
    public init() {}
}

public struct AuthUser: Sendable, Equatable {
    public var username: String
    public var passwordHash: String?
    /// Plaintext, for demos only: the server warns at start-up.
    public var password: String?
    public var tier: String
    public var disabled = false
    public init(username: String, passwordHash: String? = nil, password: String? = nil, tier: String, disabled: Bool = false) {
        self.username = username
        self.passwordHash = passwordHash
        self.password = password
        self.tier = tier
        self.disabled = disabled
    }
}

public struct AuthConfig: Sendable, Equatable {
    public var jwtSecret = ""
    public var tokenTTLSeconds = 3600
    public var loginCacheSeconds = 60
    public var adminKey = ""
    public var users: [AuthUser] = []
    public init() {}
}

public struct QuotaTier: Sendable, Equatable {
    /// 0 = unlimited, here and below.
    public var monthlyRequests = 0
    public var monthlyTokens = 0
    public var requestsPerMinute = 0
    public var tokensPerMinute = 0
    /// The monthly spend budget in dollars.
    public var monthlyUSD = 0.0
    public init(
        monthlyRequests: Int = 0, monthlyTokens: Int = 0, requestsPerMinute: Int = 0, tokensPerMinute: Int = 0, monthlyUSD: Double = 0
    ) {
        self.monthlyRequests = monthlyRequests
        self.monthlyTokens = monthlyTokens
        self.requestsPerMinute = requestsPerMinute
        self.tokensPerMinute = tokensPerMinute
        self.monthlyUSD = monthlyUSD
    }

    /// The monthly quota's limits, as `QuotaManager` counts them.
    public var quotaLimits: QuotaManager.Limits {
        .init(
            monthlyRequests: self.monthlyRequests, monthlyTokens: self.monthlyTokens,
            monthlyMicrodollars: Microdollars.from(dollars: self.monthlyUSD))
    }
}

/// One `[prices."pattern"]` table: dollars per million tokens.
public struct PriceConfig: Sendable, Equatable {
    public var pattern: String
    public var input: Double
    public var cachedInput: Double?
    public var cacheWrite: Double?
    public var output: Double

    public init(pattern: String, input: Double, cachedInput: Double? = nil, cacheWrite: Double? = nil, output: Double) {
        self.pattern = pattern
        self.input = input
        self.cachedInput = cachedInput
        self.cacheWrite = cacheWrite
        self.output = output
    }

    public var override: PriceOverride {
        PriceOverride(
            pattern: self.pattern,
            price: ModelPrice(input: self.input, cachedInput: self.cachedInput, cacheWrite: self.cacheWrite, output: self.output))
    }
}

public struct QuotaConfig: Sendable, Equatable {
    public var timezone = "UTC"
    public var flushEveryRequests = 100
    public var flushIntervalSeconds = 5.0
    public var tiers: [String: QuotaTier] = [
        "basic": QuotaTier(monthlyRequests: 500),
        "pro": QuotaTier(monthlyRequests: 1000),
        "premium": QuotaTier(monthlyRequests: 1500),
    ]
    public init() {}
}

/// `[responses]`: stored Responses-API responses (`store: true`).
public struct ResponsesConfig: Sendable, Equatable {
    public var retentionDays = 30
    public init() {}
}

public struct LimitsConfig: Sendable, Equatable {
    public var perTokenConcurrency = 1
    public init() {}
}

public struct StorageConfig: Sendable, Equatable {
    public var url = "sqlite:data/proxy.sqlite"
    public init() {}
}

public struct LoggingConfig: Sendable, Equatable {
    public enum Format: String, Sendable, CaseIterable { case text, json }
    public var level = "info"
    public var format = Format.text
    public init() {}
}

public enum ProviderKind: String, Sendable, CaseIterable {
    case openai, anthropic, gemini, mock
}

public enum SelectionStrategy: String, Sendable, CaseIterable {
    case healthWeighted = "health_weighted"
    case roundRobin = "round_robin"
    case random
    case leastBusy = "least_busy"
}

/// A provider's OAuth 2.0 endpoints and client. The defaults are Claude Code's public client.
public struct OAuthSettings: Sendable, Equatable {
    public var authorizeURL = "https://claude.ai/oauth/authorize"
    public var tokenURL = "https://console.anthropic.com/v1/oauth/token"
    public var clientID = "9d1c250a-e61b-44d9-88ed-5944d1962f5e"
    public var redirectURI = "https://console.anthropic.com/oauth/code/callback"
    public var scopes = ["org:create_api_key", "user:profile", "user:inference"]
    public init() {}
}

public struct AccountConfig: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case apiKey = "api_key"
        case oauth
    }
    public var name: String
    public var kind = Kind.apiKey
    public var apiKey = ""
    public var weight = 1.0
    public var refreshToken = ""
    public var accessToken = ""
    public var expiresAt = 0
    public init(name: String, apiKey: String = "", weight: Double = 1) {
        self.name = name
        self.apiKey = apiKey
        self.weight = weight
    }

    /// A selection weight: finite, positive, and small enough that a sum of them stays finite.
    public static func isValidWeight(_ weight: Double) -> Bool { weight.isFinite && weight > 0 && weight <= 1_000_000 }
    public static let weightRule = "must be a number greater than 0 and at most 1000000"
}

/// `responses_api`: whether an `openai` provider takes Responses requests itself (`native`: sent
/// as received, relayed as answered) or through Chat Completions (`translate`, for DeepSeek, GLM,
/// Ollama, vLLM... which have no Responses API).
public enum ResponsesAPIMode: String, Sendable, Equatable, CaseIterable {
    case translate
    case native
}

/// How the in-process `mock` provider answers: no network, no key.
public struct MockProviderSettings: Sendable, Equatable {
    public var latencyMilliseconds = 0
    public var chunks = 8
    public var chunkDelayMilliseconds = 0
    public init() {}
}

public struct ProviderConfig: Sendable, Equatable {
    public var name: String
    public var kind: ProviderKind
    public var baseURL = ""
    public var models: [String] = []
    public var aliases: [String: String] = [:]
    public var strategy = SelectionStrategy.healthWeighted
    public var timeoutSeconds = 600.0
    public var connectTimeoutSeconds = 5.0
    public var requestsPerSecond = 0.0
    public var queueCapacity = 100
    public var queueTimeoutSeconds = 5.0
    public var maxRetries = 2
    /// How long one attempt may wait for the upstream's response head before the account is
    /// counted as failed and the next is tried; 0 = only the request's whole deadline.
    public var firstByteTimeoutSeconds = 0.0
    /// Relay the upstream's rate-limit headers (`x-ratelimit-*`, `anthropic-ratelimit-*`) to
    /// clients: off by default, since they describe the owner's account, not the caller's key.
    public var exposeRateLimitHeaders = false
    /// More client request headers to send to this provider, as name patterns (`x-trace-*`),
    /// beyond the APIs' own (see `HeaderPolicy`). Credentials and hop-by-hop headers never go.
    public var forwardHeaders: [String] = []
    /// How an `openai` provider serves `POST /v1/responses`.
    public var responsesAPI = ResponsesAPIMode.translate
    public var accounts: [AccountConfig] = []
    public var oauth: OAuthSettings? = nil
    public var mock = MockProviderSettings()

    public init(name: String, kind: ProviderKind, baseURL: String = "", models: [String] = []) {
        self.name = name
        self.kind = kind
        self.baseURL = baseURL
        self.models = models
    }
}
