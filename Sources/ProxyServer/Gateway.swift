import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
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
    let router: ModelRouter<ProviderRuntime>
    /// Every configured provider, in the configuration's order.
    let providers: [ProviderRuntime]
    /// The pooled upstream clients, one `Service` for all of them.
    let upstreamClients: UpstreamClients
    let clientConnections: ClientConnections
    let metrics: GatewayMetrics
    let store: any StateStore
    let authenticator: Authenticator
    let tokenLimiter: TokenLimiter
    let loginLimiter: LoginLimiter
    let minuteLimiter: MinuteLimiter
    let quota: QuotaManager
    /// The months of `quota.timezone`.
    let quotaCalendar: QuotaCalendar
    let usageLog: UsageLog
    /// The price of every model served: `[prices]`, then the built-in table.
    let prices: PriceTable
    /// Each `anthropic` provider's OAuth token keeper, by provider name.
    let oauthManagers: [String: OAuthManager]
    /// Unix time in seconds; injected so that tests can move it.
    let now: @Sendable () -> Double

    init(
        config: GatewayConfig,
        carryingOver previous: Gateway? = nil,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 },
        masterKey: String? = ProcessInfo.processInfo.environment[SecretBox.environmentVariable],
        logger: Logger = Logger(label: "proxy-server")
    ) async throws(ConfigError) {
        self.now = previous?.now ?? now
        let now = self.now
        if let store = previous?.store {
            self.store = store
        } else {
            self.store = try await StateStores.open(url: config.storage.url, logger: logger)
        }
        // Accounts added by the CLI live in the store, beside those of the file.
        let config = try await self.store.mergingAccounts(into: config, masterKey: masterKey)
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
            // A shared store's counts are learnt subject by subject, as leases are taken.
            var stored: [String: QuotaManager.Usage] = [:]
            if self.store.sharedLimits == nil {
                do {
                    stored = try await self.store.quotaCounts(period: period.key)
                } catch {
                    throw ConfigError(key: "storage.url", "cannot read the quota counts: \(error)")
                }
            }
            self.quota = QuotaManager(
                calendar: calendar,
                flushEveryRequests: config.quota.flushEveryRequests,
                loaded: (period.key, stored),
                shared: self.store.sharedLimits,
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
        var providers: [ProviderRuntime] = []
        var oauthManagers: [String: OAuthManager] = [:]
        for provider in config.providers {
            let upstream: any UpstreamProvider
            switch provider.kind {
            case .mock:
                upstream = MockUpstreamProvider(config: provider)
            case .openai:
                upstream = KeyedUpstream(config: provider, host: try self.upstreamClients.host(for: provider), format: .openAI)
            case .gemini:
                upstream = KeyedUpstream(config: provider, host: try self.upstreamClients.host(for: provider), format: .gemini)
            case .anthropic:
                let oauthAccounts = provider.accounts.filter { $0.kind == .oauth }
                if let kept = previous?.oauthManagers[provider.name], !oauthAccounts.isEmpty {
                    // Its tokens (refreshed, perhaps rotated) are worth more than the file's seeds.
                    oauthManagers[provider.name] = kept
                } else if !oauthAccounts.isEmpty {
                    oauthManagers[provider.name] = Self.oauthManager(
                        for: provider, accounts: oauthAccounts, store: self.store, secretBox: secretBox, now: now)
                }
                upstream = AnthropicUpstream(
                    config: provider, host: try self.upstreamClients.host(for: provider), oauth: oauthManagers[provider.name])
            }
            let pool =
                provider.accounts.isEmpty
                ? nil : AccountPool(accounts: provider.accounts.map { ($0.name, $0.weight) }, strategy: provider.strategy, now: now)
            providers.append(
                ProviderRuntime(
                    config: provider, upstream: upstream, pool: pool,
                    pacer: Self.pacer(for: provider, previous: previous?.providers.first { $0.name == provider.name }, now: now),
                    oauth: oauthManagers[provider.name], now: now))
        }
        self.prices = PriceTable(overrides: config.prices.map(\.override))
        self.router = ModelRouter(providers: providers.map { ($0.config, $0) })
        self.providers = providers
        self.oauthManagers = oauthManagers
    }

    /// A provider whose pacing is unchanged keeps its queue (and the places reserved in it).
    private static func pacer(for provider: ProviderConfig, previous: ProviderRuntime?, now: @escaping @Sendable () -> Double)
        -> UpstreamPacer
    {
        if let previous, previous.config.requestsPerSecond == provider.requestsPerSecond,
            previous.config.queueCapacity == provider.queueCapacity,
            previous.config.queueTimeoutSeconds == provider.queueTimeoutSeconds
        {
            return previous.pacer
        }
        return UpstreamPacer(
            requestsPerSecond: provider.requestsPerSecond,
            queueCapacity: provider.queueCapacity,
            queueTimeoutSeconds: provider.queueTimeoutSeconds,
            now: now
        )
    }

    /// The keeper of an `anthropic` provider's OAuth tokens; rotated tokens are saved sealed.
    private static func oauthManager(
        for provider: ProviderConfig, accounts: [AccountConfig], store: any StateStore, secretBox: SecretBox?,
        now: @escaping @Sendable () -> Double
    ) -> OAuthManager {
        // A cold path (a refresh an hour): AsyncHTTPClient's shared client serves it.
        let endpoint = OAuthTokenClient(settings: provider.oauth ?? OAuthSettings(), http: .shared, now: now)
        let seeds = accounts.map {
            ($0.name, OAuthTokens(accessToken: $0.accessToken, refreshToken: $0.refreshToken, expiresAt: Double($0.expiresAt)))
        }
        let providerName = provider.name
        let storedTokens: @Sendable (String) async -> OAuthTokens? = { account in
            guard let secretBox,
                let stored = try? await store.storedAccounts().first(where: { $0.provider == providerName && $0.name == account }),
                let access = stored.sealedAccessToken.flatMap({ try? secretBox.open($0) }),
                let refresh = stored.sealedRefreshToken.flatMap({ try? secretBox.open($0) })
            else { return nil }
            return OAuthTokens(accessToken: access, refreshToken: refresh, expiresAt: stored.expiresAt ?? 0)
        }
        return OAuthManager(
            endpoint: endpoint, seeds: Dictionary(seeds, uniquingKeysWith: { $1 }), now: now, storedTokens: storedTokens
        ) { account, tokens in
            // Without a master key the refreshed tokens live in memory only (`serve` warns of it
            // at start-up).
            guard let secretBox else { return }
            do {
                try await store.saveOAuthTokens(provider: providerName, account: account, tokens, box: secretBox)
            } catch {
                Logger(label: "proxy-server").error(
                    "saving a rotated OAuth refresh token failed; it will not survive a restart",
                    metadata: ["provider": "\(providerName)", "account": "\(account)", "error": "\(type(of: error))"])
            }
        }
    }

    /// Gives each account of this gateway's pools the health, cooldown and breaker state the
    /// same account (same provider and name) had in `previous`.
    func adoptAccountState(from previous: Gateway) async {
        for provider in self.providers {
            guard let pool = provider.pool, let oldPool = previous.providers.first(where: { $0.name == provider.name })?.pool
            else { continue }
            pool.adopt(oldPool.carriedState())
            for status in pool.statuses() {
                self.metrics.setAccountHealthy(provider: provider.name, account: status.name, healthy: status.healthy)
            }
        }
    }

    /// Every limit a request passes, in one call.
    var admission: Admission {
        Admission(tokenLimiter: self.tokenLimiter, minuteLimiter: self.minuteLimiter, quota: self.quota, shared: self.store.sharedLimits)
    }

    /// The provider that serves `model` to `principal`: 404 for a model no provider claims, 403
    /// for one the caller's key may not use.
    func route(_ model: String, for principal: Principal) throws(GatewayError) -> ModelRouter<ProviderRuntime>.Route {
        guard let route = self.router.route(model: model) else { throw GatewayError.unknownModel(model) }
        guard principal.allows(model: model) else { throw GatewayError.modelNotAllowed(model) }
        return route
    }

    /// The request body, bounded by `server.max_body_bytes` or a smaller `limit` (413 past it).
    func collectBody(of request: inout Request, limit: Int? = nil) async throws -> ByteBuffer {
        let limit = min(limit ?? .max, self.config.server.maxBodyBytes)
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit {
            throw GatewayError.payloadTooLarge(limit: limit)
        }
        do {
            guard let length = request.headers[.contentLength].flatMap({ Int($0) }) else {
                return try await request.collectBody(upTo: limit)
            }
            return try await Self.collect(request.body, length: length)
        } catch is NIOTooManyBytesError {
            throw GatewayError.payloadTooLarge(limit: limit)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw GatewayError.payloadTooLarge(limit: limit)
        } catch let error as HTTPParserError {
            // `ClientTimeoutHandler` closes the connection once this answer is out.
            throw GatewayError.badRequest("The request is not valid HTTP/1.1 (\(error)).")
        }
    }

    /// A body of a known `length` (the parser holds it to its Content-Length), collected in a
    /// buffer sized for it: a megabyte arrives in dozens of reads, and appending them to a buffer
    /// that doubled as it grew copied it about twice over. A body that came in one read is that
    /// read. The buffer is at most four times what has arrived, so a client that announces
    /// 10 MB and sends a few kilobytes makes the gateway hold 64 KB, not ten megabytes.
    private static func collect(_ body: RequestBody, length: Int) async throws -> ByteBuffer {
        var parts = body.makeAsyncIterator()
        guard let first = try await parts.next() else { return ByteBuffer() }
        guard first.readableBytes < length else { return first }
        var whole = ByteBufferAllocator().buffer(capacity: Self.collectCapacity(arrived: first.readableBytes, length: length))
        whole.writeImmutableBuffer(first)
        while let part = try await parts.next() {
            let arrived = whole.readableBytes + part.readableBytes
            guard arrived <= length else { throw NIOTooManyBytesError(maxBytes: length) }
            if part.readableBytes > whole.writableBytes {
                whole.reserveCapacity(Self.collectCapacity(arrived: arrived, length: length))
            }
            whole.writeImmutableBuffer(part)
        }
        return whole
    }

    /// Room for the body: all of it, or four times what has arrived (64 KB at least) if less.
    private static func collectCapacity(arrived: Int, length: Int) -> Int {
        min(length, 4 * max(arrived, 16 * 1024))
    }
}
