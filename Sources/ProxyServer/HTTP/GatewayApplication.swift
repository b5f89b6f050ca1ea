import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ProxyEngine
import ServiceLifecycle

/// Builds the HTTP application: routes, middleware and the services that live with it.
enum GatewayApplication {
    /// Routes take the live gateway when a request arrives (see `LiveGateway`); the services and
    /// the connection handlers use the parts a reload carries over.
    static func build(
        live: LiveGateway,
        host: String,
        port: Int,
        logger: Logger,
        accessLog: Bool = true,
        reloader: ConfigReloader? = nil,
        onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let gateway = live.current
        let router = Router(context: GatewayRequestContext.self)
        let metrics = gateway.metrics
        let clientTimeout = TimeAmount.nanoseconds(Int64(gateway.config.server.clientTimeoutSeconds * 1e9))
        router.add(middleware: RequestIDMiddleware(accessLog: accessLog))
        if let cors = GatewayCORS(origins: gateway.config.server.corsOrigins) { router.add(middleware: cors) }
        for path in ["/v1/chat/completions", "/chat/completions"] {
            router.post(RouterPath(path)) { request, context in
                try await CompletionRoute(gateway: live.current, route: path, format: .openAI).handle(request, context: context)
            }
        }
        router.post("/v1/messages") { request, context in
            try await CompletionRoute(gateway: live.current, route: "/v1/messages", format: .anthropic).handle(request, context: context)
        }
        for path in ["/v1/responses", "/responses"] {
            router.post(RouterPath(path)) { request, context in
                try await CompletionRoute(gateway: live.current, route: path, format: .responses).handle(request, context: context)
            }
        }
        for prefix in ["/v1beta/models", "/v1/models"] {
            router.post(RouterPath(prefix + "/:target")) { request, context in
                try await GeminiRoute(gateway: live.current, route: prefix).handle(request, context: context)
            }
        }
        router.post("/v1/embeddings") { request, context in
            try await EmbeddingsRoute(gateway: live.current).handle(request, context: context)
        }
        router.get("/v1/responses/:id") { request, context in
            try await StoredResponseRoute(gateway: live.current).get(request, context: context)
        }
        router.delete("/v1/responses/:id") { request, context in
            try await StoredResponseRoute(gateway: live.current).delete(request, context: context)
        }
        router.post("/v1/messages/count_tokens") { request, context in
            try await CountTokensRoute(gateway: live.current).handle(request, context: context)
        }
        if gateway.config.server.metricsPort == 0 {
            router.get("/metrics") { _, _ in MetricsEndpoint.response(metrics) }
        }
        router.post("/auth/login") { request, context in try await LoginRoute(gateway: live.current).handle(request, context: context) }
        router.get("/auth/quota") { request, context in try await QuotaRoute(gateway: live.current).handle(request, context: context) }
        let admin = router.group("/admin").add(
            middleware: AdminAuthorizationMiddleware(
                adminKey: { live.current.config.auth.adminKey }, throttle: AdminThrottle(now: gateway.now)))
        admin.post("keys") { request, context in try await AdminKeysRoute(gateway: live.current).create(request, context: context) }
        admin.get("keys") { request, context in try await AdminKeysRoute(gateway: live.current).list(request, context: context) }
        admin.delete("keys/:id") { request, context in try await AdminKeysRoute(gateway: live.current).revoke(request, context: context) }
        admin.patch("keys/:id") { request, context in try await AdminKeysRoute(gateway: live.current).update(request, context: context) }
        admin.get("usage") { request, context in try await AdminUsageRoute(gateway: live.current).handle(request, context: context) }
        admin.get("accounts") { request, context in try await AdminAccountsRoute(gateway: live.current).handle(request, context: context) }
        admin.post("accounts/health-check") { request, context in
            try await AdminAccountsRoute(gateway: live.current).healthCheck(request, context: context)
        }
        admin.get("overview") { request, context in try await AdminDashboardRoute(gateway: live.current).overview(request, context: context)
        }
        admin.get("users") { request, context in try await AdminDashboardRoute(gateway: live.current).users(request, context: context) }
        admin.get("spend") { request, context in try await AdminDashboardRoute(gateway: live.current).spend(request, context: context) }
        admin.get("usage/series") { request, context in
            try await AdminDashboardRoute(gateway: live.current).series(request, context: context)
        }
        admin.post("accounts/:provider/:account/enable") { request, context in
            try await AdminDashboardRoute(gateway: live.current).enableAccount(request, context: context)
        }
        DashboardPage.register(on: router)
        for path in ["/v1/models", "/models", "/v1beta/models"] {
            let geminiDoor = path == "/v1beta/models"
            router.get(RouterPath(path)) { request, context in
                try await ModelsRoute(gateway: live.current, geminiDoor: geminiDoor).list(request, context: context)
            }
            router.get(RouterPath(path + "/:target")) { request, context in
                try await ModelsRoute(gateway: live.current, geminiDoor: geminiDoor).one(request, context: context)
            }
        }
        router.get("/health") { _, _ in Response.json(#"{"status":"ok"}"#) }
        router.get("/ready") { _, _ in
            let gateway = live.current
            // Ready with a provider configured, the state store answering and at least one account
            // in rotation (the in-process mock needs none).
            var accountAvailable = gateway.providers.contains { $0.pool == nil }
            for pool in gateway.providers.compactMap(\.pool) where !accountAvailable {
                accountAvailable = pool.hasAvailableAccount
            }
            let ready = !gateway.providers.isEmpty && accountAvailable
            let storeReachable = await gateway.store.isReachable()
            if ready && !storeReachable && gateway.store.servesWhileAway {
                // Still serving known callers: a load balancer must not drop every instance at once.
                return Response.json(#"{"status":"degraded","store":false}"#)
            }
            return ready && storeReachable
                ? Response.json(#"{"status":"ready"}"#)
                : Response.json(#"{"status":"not_ready","store":\#(storeReachable)}"#, status: .serviceUnavailable)
        }
        var storeService = StateStoreService(live: live, logger: logger)
        if let reloader {
            storeService.reload = { _ = await reloader.reload() }
        }
        // The store first: the service group stops it last, after the flusher's final write.
        let services: [any Service] =
            [storeService, gateway.upstreamClients]
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
            + (reloader.map { [$0] } ?? [])
            + (gateway.config.server.metricsPort == 0
                ? [] : [MetricsEndpoint.application(gateway: gateway, host: host, logger: logger)])
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
            services: services,
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
