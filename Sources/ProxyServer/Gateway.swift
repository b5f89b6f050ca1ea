import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import ProxyEngine
import ServiceLifecycle

/// Everything a request handler needs, built once from the configuration at start-up.
struct Gateway: Sendable {
    let config: GatewayConfig
    let router: ModelRouter
    let providers: [any UpstreamProvider]
    /// One pooled client per HTTP provider; each is a `Service` of the application.
    let httpClients: [UpstreamHTTPClient]
    let clientConnections = ClientConnections()
    let metrics: GatewayMetrics
    let store: StateStore
    let authenticator: Authenticator
    let tokenLimiter: TokenLimiter
    let loginLimiter: LoginLimiter
    let minuteLimiter: MinuteLimiter
    let quota: QuotaManager
    /// The months of `quota.timezone`.
    let quotaCalendar: QuotaCalendar
    let usageLog = UsageLog()
    /// One per provider, in the order of `providers`.
    let pacers: [UpstreamPacer]
    /// One per provider with accounts (nil for the in-process mock), in the order of `providers`.
    let pools: [AccountPool?]
    /// Each provider's `forward_headers`, lowercased and compiled once, in the order of `providers`.
    let forwardedHeaders: [[ModelGlob]]
    /// Unix time in seconds; injected so that tests can move it.
    let now: @Sendable () -> Double

    init(
        config: GatewayConfig,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 },
        masterKey: String? = ProcessInfo.processInfo.environment[SecretBox.environmentVariable]
    ) throws(ConfigError) {
        self.now = now
        self.store = try StateStore(url: config.storage.url)
        // Accounts added by the CLI live in the store, beside those of the file.
        let config = try self.store.mergingAccounts(into: config, masterKey: masterKey)
        self.config = config
        let secretBox = masterKey.flatMap(SecretBox.init(masterKey:))
        self.authenticator = Authenticator(config: config.auth, keys: KeyDirectory(store: self.store))
        self.tokenLimiter = TokenLimiter(limit: config.limits.perTokenConcurrency)
        self.loginLimiter = LoginLimiter(cacheSeconds: Double(config.auth.loginCacheSeconds), now: now)
        self.minuteLimiter = MinuteLimiter(now: now)
        guard let calendar = QuotaCalendar(timeZone: config.quota.timezone) else {
            throw ConfigError(key: "quota.timezone", "'\(config.quota.timezone)' is not a time zone this system knows")
        }
        self.quotaCalendar = calendar
        self.pools = config.providers.map { provider in
            provider.accounts.isEmpty
                ? nil : AccountPool(accounts: provider.accounts.map { ($0.name, $0.weight) }, strategy: provider.strategy, now: now)
        }
        let period = calendar.period(at: now())
        let stored: [String: QuotaManager.Usage]
        do {
            stored = try self.store.quotaCounts(period: period.key)
        } catch {
            throw ConfigError(key: "storage.url", "cannot read the quota counts: \(error)")
        }
        self.quota = QuotaManager(
            calendar: calendar,
            flushEveryRequests: config.quota.flushEveryRequests,
            loaded: (period.key, stored),
            now: now
        )
        self.pacers = config.providers.map {
            UpstreamPacer(
                requestsPerSecond: $0.requestsPerSecond,
                queueCapacity: $0.queueCapacity,
                queueTimeoutSeconds: $0.queueTimeoutSeconds,
                now: now
            )
        }
        self.router = ModelRouter(providers: config.providers)
        self.forwardedHeaders = config.providers.map { $0.forwardHeaders.map { ModelGlob($0.lowercased()) } }
        var providers: [any UpstreamProvider] = []
        var clients: [UpstreamHTTPClient] = []
        for provider in config.providers {
            switch provider.kind {
            case .mock:
                providers.append(MockUpstreamProvider(config: provider))
            case .openai, .anthropic:
                let client = UpstreamHTTPClient(provider: provider, eventLoopGroup: eventLoopGroup)
                clients.append(client)
                guard provider.kind == .anthropic else {
                    providers.append(OpenAIUpstream(config: provider, http: client))
                    continue
                }
                var oauth: OAuthManager?
                let oauthAccounts = provider.accounts.filter { $0.kind == .oauth }
                if !oauthAccounts.isEmpty {
                    let endpoint = OAuthTokenClient(settings: provider.oauth ?? OAuthSettings(), http: client.client, now: now)
                    let seeds = oauthAccounts.map {
                        ($0.name, OAuthTokens(accessToken: $0.accessToken, refreshToken: $0.refreshToken, expiresAt: Double($0.expiresAt)))
                    }
                    let store = self.store
                    let providerName = provider.name
                    oauth = OAuthManager(endpoint: endpoint, seeds: Dictionary(seeds, uniquingKeysWith: { $1 }), now: now) {
                        account, tokens in
                        // Without a master key the refreshed tokens live in memory only (`serve`
                        // warns of it at start-up).
                        guard let secretBox else { return }
                        do {
                            try store.saveOAuthTokens(provider: providerName, account: account, tokens, box: secretBox)
                        } catch {
                            Logger(label: "proxy-server").error(
                                "saving a rotated OAuth refresh token failed; it will not survive a restart",
                                metadata: ["provider": "\(providerName)", "account": "\(account)", "error": "\(type(of: error))"])
                        }
                    }
                }
                providers.append(AnthropicUpstream(config: provider, http: client, oauth: oauth))
            }
        }
        self.providers = providers
        self.httpClients = clients
        self.metrics = GatewayMetrics(providers: config.providers.map { ($0.name, $0.accounts.map(\.name)) })
    }

    /// The request body, bounded by `server.max_body_bytes` or a smaller `limit` (413 past it).
    func collectBody(of request: inout Request, limit: Int? = nil) async throws -> ByteBuffer {
        let limit = min(limit ?? .max, self.config.server.maxBodyBytes)
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit {
            throw GatewayError.payloadTooLarge(limit: limit)
        }
        do {
            return try await request.collectBody(upTo: limit)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw GatewayError.payloadTooLarge(limit: limit)
        }
    }
}
