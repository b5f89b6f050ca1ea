import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ProxyEngine
import ServiceLifecycle

/// Builds the HTTP application: routes, middleware and the services that live with it.
enum GatewayApplication {
    static func build(
        gateway: Gateway,
        host: String,
        port: Int,
        logger: Logger,
        accessLog: Bool = true,
        onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let router = Router(context: GatewayRequestContext.self)
        let metrics = gateway.metrics
        let clientTimeout = TimeAmount.nanoseconds(Int64(gateway.config.server.clientTimeoutSeconds * 1e9))
        router.add(middleware: RequestIDMiddleware(accessLog: accessLog))
        for path in ["/v1/chat/completions", "/chat/completions"] {
            router.post(RouterPath(path), use: CompletionRoute(gateway: gateway, route: path, format: .openAI).handle)
        }
        router.post("/v1/messages", use: CompletionRoute(gateway: gateway, route: "/v1/messages", format: .anthropic).handle)
        router.post("/v1/messages/count_tokens", use: CountTokensRoute(gateway: gateway).handle)
        if gateway.config.server.metricsPort == 0 {
            router.get("/metrics") { _, _ in MetricsEndpoint.response(gateway.metrics) }
        }
        router.post("/auth/login", use: LoginRoute(gateway: gateway).handle)
        router.get("/auth/quota", use: QuotaRoute(gateway: gateway).handle)
        let admin = router.group("/admin").add(
            middleware: AdminAuthorizationMiddleware(adminKey: gateway.config.auth.adminKey, throttle: AdminThrottle(now: gateway.now)))
        let keys = AdminKeysRoute(gateway: gateway)
        admin.post("keys", use: keys.create)
        admin.get("keys", use: keys.list)
        admin.delete("keys/:id", use: keys.revoke)
        admin.patch("keys/:id", use: keys.update)
        admin.get("usage", use: AdminUsageRoute(gateway: gateway).handle)
        let accounts = AdminAccountsRoute(gateway: gateway)
        admin.get("accounts", use: accounts.handle)
        admin.post("accounts/health-check", use: accounts.healthCheck)
        let dashboard = AdminDashboardRoute(gateway: gateway)
        admin.get("overview", use: dashboard.overview)
        admin.get("users", use: dashboard.users)
        admin.get("usage/series", use: dashboard.series)
        admin.post("accounts/:provider/:account/enable", use: dashboard.enableAccount)
        DashboardPage.register(on: router)
        let models = ModelsRoute(gateway: gateway)
        router.get("/v1/models", use: models.handle)
        router.get("/models", use: models.handle)
        router.get("/health") { _, _ in Response.json(#"{"status":"ok"}"#) }
        router.get("/ready") { _, _ in
            // Ready with a provider configured, the state store answering and an account in
            // rotation.
            // At least one account in rotation (the in-process mock needs none).
            var accountAvailable = gateway.pools.contains { $0 == nil }
            for pool in gateway.pools.compactMap({ $0 }) where !accountAvailable {
                accountAvailable = await pool.hasAvailableAccount
            }
            let ready = !gateway.providers.isEmpty && accountAvailable
            let storeReachable = await gateway.store.isReachable()
            return ready && storeReachable
                ? Response.json(#"{"status":"ready"}"#)
                : Response.json(#"{"status":"not_ready","store":\#(storeReachable)}"#, status: .serviceUnavailable)
        }
        return Application(
            router: router,
            server: .http1(
                configuration: .init(additionalChannelHandlers: [
                    gateway.clientConnections.makeHandler(),
                    ClientTimeoutHandler(timeout: clientTimeout) { metrics.rejected(reason: "client_timeout") },
                ])),
            // A burst of thousands of clients (a fleet of agents reconnecting) must not overflow
            // the accept queue; the kernel caps it at net.core.somaxconn.
            configuration: .init(address: .hostname(host, port: port), serverName: nil, backlog: 4096),
            services: gateway.httpClients
                + [
                    QuotaFlusher(
                        quota: gateway.quota,
                        usageLog: gateway.usageLog,
                        store: gateway.store,
                        interval: .milliseconds(Int64(gateway.config.quota.flushIntervalSeconds * 1000)),
                        logger: logger
                    ),
                    MemoryTrimmer(interval: .seconds(5), logger: logger),
                ]
                + (gateway.config.server.metricsPort == 0
                    ? [] : [MetricsEndpoint.application(gateway: gateway, host: host, logger: logger)]),
            onServerRunning: onServerRunning,
            logger: logger
        )
    }
}

extension Response {
    static func json(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
