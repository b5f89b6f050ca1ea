import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import ProxyEngine
import ServiceLifecycle

/// Everything a request handler needs, built from the configuration at start-up, and built again
/// by a reload (SIGHUP) from the new configuration and the previous gateway: what holds state
/// that must outlive a configuration (the store, limiter windows and slots, quota counts,
/// usage records, metrics, upstream clients and their connections, OAuth tokens, account
/// health) is carried over; what is derived from the configuration is made anew.
struct Gateway: Sendable {
    let config: GatewayConfig
    let router: ModelRouter
    let providers: [any UpstreamProvider]
    /// The pooled upstream clients, one `Service` for all of them.
    let upstreamClients: UpstreamClients
    let clientConnections: ClientConnections
    let metrics: GatewayMetrics
    let store: StateStore
    let authenticator: Authenticator
    let tokenLimiter: TokenLimiter
    let loginLimiter: LoginLimiter
    let minuteLimiter: MinuteLimiter
    let quota: QuotaManager
    /// The months of `quota.timezone`.
    let quotaCalendar: QuotaCalendar
    let usageLog: UsageLog
    /// One per provider, in the order of `providers`.
    let pacers: [UpstreamPacer]
    /// One per provider with accounts (nil for the in-process mock), in the order of `providers`.
    let pools: [AccountPool?]
    /// Each `anthropic` provider's OAuth token keeper, by provider name.
    let oauthManagers: [String: OAuthManager]
    /// Each provider's `forward_headers`, lowercased and compiled once, in the order of `providers`.
    let forwardedHeaders: [[ModelGlob]]
    /// Unix time in seconds; injected so that tests can move it.
    let now: @Sendable () -> Double

    init(
        config: GatewayConfig,
        carryingOver previous: Gateway? = nil,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 },
        masterKey: String? = ProcessInfo.processInfo.environment[SecretBox.environmentVariable]
    ) throws(ConfigError) {
        self.now = previous?.now ?? now
        let now = self.now
        if let store = previous?.store {
            self.store = store
        } else {
            self.store = try StateStore(url: config.storage.url)
        }
        // Accounts added by the CLI live in the store, beside those of the file.
        let config = try self.store.mergingAccounts(into: config, masterKey: masterKey)
        self.config = config
        let secretBox = masterKey.flatMap(SecretBox.init(masterKey:))
        self.authenticator = Authenticator(config: config.auth, keys: previous?.authenticator.keys ?? KeyDirectory(store: self.store))
        if let previous {
            previous.tokenLimiter.setLimit(config.limits.perTokenConcurrency)
            self.tokenLimiter = previous.tokenLimiter
            self.loginLimiter = previous.loginLimiter
            self.minuteLimiter = previous.minuteLimiter
            // A quota month's counts live on; its time zone needs a restart (logged by the reloader).
            self.quota = previous.quota
            self.quotaCalendar = previous.quotaCalendar
            self.usageLog = previous.usageLog
            self.clientConnections = previous.clientConnections
            self.upstreamClients = previous.upstreamClients
            self.metrics = previous.metrics
        } else {
            self.tokenLimiter = TokenLimiter(limit: config.limits.perTokenConcurrency)
            self.loginLimiter = LoginLimiter(cacheSeconds: Double(config.auth.loginCacheSeconds), now: now)
            self.minuteLimiter = MinuteLimiter(now: now)
            guard let calendar = QuotaCalendar(timeZone: config.quota.timezone) else {
                throw ConfigError(key: "quota.timezone", "'\(config.quota.timezone)' is not a time zone this system knows")
            }
            self.quotaCalendar = calendar
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
            self.usageLog = UsageLog()
            self.clientConnections = ClientConnections()
            self.upstreamClients = UpstreamClients(eventLoopGroup: eventLoopGroup)
            self.metrics = GatewayMetrics()
        }
        for provider in config.providers {
            self.metrics.register(provider: provider.name, accounts: provider.accounts.map(\.name))
        }
        self.pools = config.providers.map { provider in
            provider.accounts.isEmpty
                ? nil : AccountPool(accounts: provider.accounts.map { ($0.name, $0.weight) }, strategy: provider.strategy, now: now)
        }
        // A provider whose pacing is unchanged keeps its queue (and the places reserved in it).
        self.pacers = config.providers.map { provider in
            if let previous, let index = previous.config.providers.firstIndex(where: { $0.name == provider.name }),
                previous.config.providers[index].requestsPerSecond == provider.requestsPerSecond,
                previous.config.providers[index].queueCapacity == provider.queueCapacity,
                previous.config.providers[index].queueTimeoutSeconds == provider.queueTimeoutSeconds
            {
                return previous.pacers[index]
            }
            return UpstreamPacer(
                requestsPerSecond: provider.requestsPerSecond,
                queueCapacity: provider.queueCapacity,
                queueTimeoutSeconds: provider.queueTimeoutSeconds,
                now: now
            )
        }
        self.router = ModelRouter(providers: config.providers)
        self.forwardedHeaders = config.providers.map { $0.forwardHeaders.map { ModelGlob($0.lowercased()) } }
        var providers: [any UpstreamProvider] = []
        var oauthManagers: [String: OAuthManager] = [:]
        for provider in config.providers {
            switch provider.kind {
            case .mock:
                providers.append(MockUpstreamProvider(config: provider))
            case .openai, .anthropic:
                let client = self.upstreamClients.client(for: provider)
                guard provider.kind == .anthropic else {
                    providers.append(OpenAIUpstream(config: provider, http: client))
                    continue
                }
                let oauthAccounts = provider.accounts.filter { $0.kind == .oauth }
                if let kept = previous?.oauthManagers[provider.name], !oauthAccounts.isEmpty {
                    // Its tokens (refreshed, perhaps rotated) are worth more than the file's seeds.
                    oauthManagers[provider.name] = kept
                } else if !oauthAccounts.isEmpty {
                    let endpoint = OAuthTokenClient(settings: provider.oauth ?? OAuthSettings(), http: client.client, now: now)
                    let seeds = oauthAccounts.map {
                        ($0.name, OAuthTokens(accessToken: $0.accessToken, refreshToken: $0.refreshToken, expiresAt: Double($0.expiresAt)))
                    }
                    let store = self.store
                    let providerName = provider.name
                    oauthManagers[provider.name] = OAuthManager(
                        endpoint: endpoint, seeds: Dictionary(seeds, uniquingKeysWith: { $1 }), now: now
                    ) { account, tokens in
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
                providers.append(AnthropicUpstream(config: provider, http: client, oauth: oauthManagers[provider.name]))
            }
        }
        self.providers = providers
        self.oauthManagers = oauthManagers
    }

    /// Gives each account of this gateway's pools the health, cooldown and breaker state the
    /// same account (same provider and name) had in `previous`.
    func adoptAccountState(from previous: Gateway) async {
        for (index, provider) in self.config.providers.enumerated() {
            guard let pool = self.pools[index],
                let oldIndex = previous.config.providers.firstIndex(where: { $0.name == provider.name }),
                let oldPool = previous.pools[oldIndex]
            else { continue }
            await pool.adopt(await oldPool.carriedState())
            for status in await pool.statuses() {
                self.metrics.setAccountHealthy(provider: provider.name, account: status.name, healthy: status.healthy)
            }
        }
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
