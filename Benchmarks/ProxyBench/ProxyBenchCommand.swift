import ArgumentParser
import AsyncHTTPClient
import Foundation
import MockUpstream
import NIOCore
import NIOHTTP1
import NIOPosix

@main
struct ProxyBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proxy-bench",
        abstract: "Load generator: the gateway against the mock upstream, with a direct-to-mock arm in the same run.",
        discussion: """
            By default it starts proxy-mock and proxy-server (found beside this executable, or in \
            --bin-dir) on free loopback ports; --gateway-url and --mock-url target running ones instead. \
            Every scenario runs the same load twice: straight at the mock ("direct"), then through the \
            gateway ("proxy"), and reports both and their difference. Exits 1 if any request failed or \
            any stream was broken (unless --allow-failures).
            """
    )

    @Option(help: "non-streaming, streaming, mixed, responses-native, responses-translated, or all.") var scenario: String = "all"
    @Option(help: "Simulated users (each with its own credential).") var users: Int = 4
    @Option(name: .customLong("concurrency-per-user"), help: "Requests each user keeps in flight.") var concurrencyPerUser: Int = 16
    @Option(help: "Seconds each arm runs (ignored with --requests).") var duration: Double = 5
    @Option(help: "Requests per arm, instead of --duration.") var requests: Int?
    @Option(help: "Content chunks per answer.") var chunks: Int = 16
    @Option(name: .customLong("chunk-delay-ms"), help: "Delay between streamed events at the mock.") var chunkDelayMilliseconds: Int = 0
    @Option(help: "Seconds of unmeasured warm-up traffic before each scenario.") var warmup: Double = 1
    @Option(name: .customLong("gateway-url"), help: "A running gateway to measure (needs --mock-url).") var gatewayURL: String?
    @Option(name: .customLong("mock-url"), help: "The running mock the gateway forwards to.") var mockURL: String?
    @Option(name: .customLong("bin-dir"), help: "Where proxy-server, proxy-mock (and proxy-floor) are.") var binDirectory: String?
    @Option(
        name: .customLong("before-server"),
        help:
            "Another build's proxy-server, measured as one more arm (\"before\") on the same configuration and mock, for before/after figures from one run."
    )
    var beforeServer: String?
    @Option(
        name: .customLong("long-streams"), help: "Instead of the scenarios: hold this many slow streams open at once and report memory.")
    var longStreams: Int?
    @Option(name: .customLong("long-stream-chunks"), help: "Chunks per long stream.") var longStreamChunks: Int = 200
    @Option(name: .customLong("long-stream-chunk-delay-ms"), help: "Delay between chunks of a long stream.") var longStreamChunkDelay: Int =
        50
    @Option(
        help:
            "Instead of the scenarios: this many minutes of mixed traffic (both formats, streams, clients leaving, upstream faults, callers over their limit), then check that memory, file descriptors, streams and slots are back where they were."
    )
    var soak: Double?
    @Option(name: .customLong("api-key"), help: "The credential to use against a running --gateway-url (a virtual key or token).")
    var apiKey: String?
    @Flag(
        name: .customLong("limit-check"),
        help:
            "Instead of the scenarios: have each user exceed its per-credential concurrency and verify exactly the allowed number is admitted."
    )
    var limitCheck = false
    @Flag(
        name: .customLong("hostile-bodies"),
        help: "Instead of the scenarios: time the request checks on the bodies that once cost quadratic time, and the secret scrubber.")
    var hostileBodies = false
    @Option(help: "Upstream accounts the gateway spreads the load over.") var accounts: Int = 1
    @Flag(help: "Give every user a monthly quota (large enough never to run out), to measure its cost; off by default.")
    var quotas = false
    @Flag(
        help:
            "Give every user a monthly dollar budget (large enough never to run out): each request reserves its worst case and settles it, to measure its cost; off by default."
    )
    var budgets = false
    @Flag(
        help:
            "Also measure proxy-floor, the bare Hummingbird + AsyncHTTPClient pass-through the gateway is built on, as a third arm (and a second long-streams run): the speed and memory of the stack without the gateway's own work."
    )
    var floor = false
    @Flag(
        name: .customLong("reverse-proxies"),
        help:
            "Also measure nginx and Caddy (Go's net/http reverse proxy) in front of the same mock, each as an arm of the same run (see scripts/bench-tools.sh)."
    )
    var reverseProxies = false
    @Option(
        help:
            "sqlite (default) or postgres: with postgres, the gateway arm runs on SQLite with quotas on, beside two arms on the PostgreSQL of --postgres-url: one instance, and two instances behind the bench's own round-robin (see scripts/bench-postgres.sh)."
    )
    var store: String = "sqlite"
    @Option(
        name: .customLong("per-token-concurrency"),
        help: "The gateways' limits.per_token_concurrency (default: --concurrency-per-user; 0 = no per-credential limit).")
    var perTokenConcurrency: Int?
    @Option(name: .customLong("postgres-url"), help: "The PostgreSQL the postgres arms share (a scratch database: the bench writes to it).")
    var postgresURL: String?
    @Option(
        name: .customLong("body-kb"), parsing: .upToNextOption,
        help:
            "Instead of the scenarios: pass-through requests whose body is this many KB of conversation (e.g. --body-kb 1 100 1000), each size a scenario with every arm (the floor, nginx and Caddy are started with it), then the CPU per extra MB."
    )
    var bodyKilobytes: [Int] = []
    @Option(name: .customLong("body-concurrency"), help: "Requests in flight in the --body-kb scenarios, over all users.")
    var bodyConcurrency: Int = 8
    @Flag(help: "Print the results as JSON.") var json = false
    @Option(help: "Also write a self-contained HTML report here: latency histograms, the gateway's RSS over time, the figures.")
    var report: String?
    @Flag(name: .customLong("allow-failures"), help: "Exit 0 even when requests failed.") var allowFailures = false

    func validate() throws {
        guard self.scenario == "all" || LoadShape.Mix(rawValue: self.scenario) != nil else {
            throw ValidationError("--scenario must be non-streaming, streaming, mixed, responses-native, responses-translated or all")
        }
        guard self.users > 0, self.concurrencyPerUser > 0 else {
            throw ValidationError("--users and --concurrency-per-user must be positive")
        }
        guard (self.gatewayURL == nil) == (self.mockURL == nil) else { throw ValidationError("--gateway-url and --mock-url go together") }
        guard self.gatewayURL == nil || self.apiKey != nil else { throw ValidationError("--gateway-url needs --api-key") }
        guard self.beforeServer == nil || self.gatewayURL == nil else {
            throw ValidationError("--before-server starts its own servers: drop --gateway-url")
        }
        guard !self.floor || self.gatewayURL == nil else { throw ValidationError("--floor starts its own servers: drop --gateway-url") }
        guard self.beforeServer == nil || self.gatewayURL == nil else {
            throw ValidationError("--before-server starts its own servers: drop --gateway-url")
        }
        guard !self.reverseProxies || self.gatewayURL == nil else {
            throw ValidationError("--reverse-proxies starts its own servers: drop --gateway-url")
        }
        guard ["sqlite", "postgres"].contains(self.store) else { throw ValidationError("--store must be sqlite or postgres") }
        guard self.store == "sqlite" || (self.postgresURL != nil && self.gatewayURL == nil) else {
            throw ValidationError("--store postgres needs --postgres-url and starts its own gateways (drop --gateway-url)")
        }
        guard self.bodyKilobytes.allSatisfy({ $0 > 0 && $0 <= 8192 }), self.bodyConcurrency > 0 else {
            throw ValidationError("--body-kb sizes must be between 1 and 8192, and --body-concurrency positive")
        }
        guard self.bodyKilobytes.isEmpty || self.gatewayURL == nil else {
            throw ValidationError("--body-kb starts its own servers: drop --gateway-url")
        }
        if let soak = self.soak {
            guard soak.isFinite, soak > 0, soak <= 24 * 60 else { throw ValidationError("--soak must be between 0 and 1440 minutes") }
        }
    }

    func run() async throws {
        if self.hostileBodies {
            print(HostileBodies.run())
            return
        }
        raiseOpenFileLimit(to: 65536)
        var clientConfiguration = HTTPClient.Configuration()
        clientConfiguration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 30_000)
        clientConfiguration.decompression = .disabled
        clientConfiguration.timeout = .init(connect: .seconds(60))
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
        let servers = try await self.targets()
        do {
            try await self.measure(client: client, servers: servers)
        } catch {
            servers.stop()
            try await client.shutdown()
            throw error
        }
        servers.stop()
        try await client.shutdown()
    }

    private func measure(client: HTTPClient, servers: Targets) async throws {
        let tokens = try await self.credentials(client: client, servers: servers)
        let credential: @Sendable (Int) -> String? = { tokens[$0 % tokens.count] }
        if self.limitCheck {
            let check = await LimitCheck(client: client, gatewayURL: servers.gatewayURL, tokens: tokens, allowed: self.concurrencyPerUser)
                .run()
            print(check.text)
            if !check.passed { throw ExitCode(1) }
            return
        }
        if let minutes = self.soak {
            let report = try await SoakRun(
                client: client, gatewayURL: servers.gatewayURL, process: servers.gateway, tokens: tokens,
                slotsPerCredential: self.concurrencyPerUser, minutes: minutes
            ).run()
            print(report.text)
            if !report.passed { throw ExitCode(1) }
            return
        }
        if let longStreams = self.longStreams {
            var runs = [("gateway", servers.gatewayURL, servers.gateway)]
            if let floorURL = servers.floorURL { runs.append(("floor", floorURL, servers.floor)) }
            var reports: [LongStreamsRun.Report] = []
            for (name, url, process) in runs {
                let report = try await LongStreamsRun(
                    client: client,
                    name: name,
                    url: url,
                    process: process,
                    credential: tokens[0],
                    streams: longStreams,
                    chunks: self.longStreamChunks,
                    chunkDelayMilliseconds: self.longStreamChunkDelay
                ).run()
                if !self.json { print(report.text + "\n") }
                reports.append(report)
            }
            if self.json { print(Self.jsonText(reports.count == 1 ? reports[0].json : reports.map(\.json))) }
            if reports.contains(where: { $0.failures > 0 }) && !self.allowFailures { throw ExitCode(1) }
            return
        }

        let gatewayProcess = servers.gateway
        let progress = BenchProgress(residentBytes: { gatewayProcess?.residentBytes })
        let sampler = Task { await progress.run() }
        defer { sampler.cancel() }
        let runner = LoadRunner(client: client, progress: progress)
        var reports: [ScenarioReport] = []
        for (name, shape) in self.scenarios() {
            let report = await self.run(scenario: name, shape: shape, servers: servers, runner: runner, credential: credential)
            if !self.json { print(report.text + "\n") }
            reports.append(report)
        }
        if !self.bodyKilobytes.isEmpty, !self.json { print(BodySizeSummary(reports: reports).text + "\n") }
        if self.json { print(Self.jsonText(reports.map(\.json))) }
        if let path = self.report {
            let html = HTMLReport.render(
                reports, residentSamples: progress.residentSamples, command: CommandLine.arguments.joined(separator: " "))
            try html.write(toFile: path, atomically: true, encoding: .utf8)
            if !self.json { print("report written to \(path)") }
        }
        // nginx and Caddy are references, not what is tested: a request or stream one of them
        // fails (Caddy broke one stream in the second of ten stability runs, 2026-12-01) is
        // reported with the figures but does not fail the run. The gateway, the floor and the
        // direct arm (the mock and the load generator themselves) must have none.
        let failures = reports.reduce(0) { total, report in
            total + ([report.direct, report.proxy] + [report.floor].compactMap { $0 }).reduce(0) { $0 + $1.failures }
        }
        if failures > 0 && !self.allowFailures {
            FileHandle.standardError.write(Data("proxy-bench: \(failures) failed requests or broken streams\n".utf8))
            throw ExitCode(1)
        }
    }

    /// The scenarios of this run, each named: `--body-kb`'s sizes, else `--scenario`'s mixes.
    private func scenarios() -> [(String, LoadShape)] {
        let base = LoadShape(
            mix: .nonStreaming, users: self.users, concurrencyPerUser: self.concurrencyPerUser, duration: self.duration,
            requests: self.requests, chunks: self.chunks, chunkDelayMilliseconds: self.chunkDelayMilliseconds)
        if !self.bodyKilobytes.isEmpty {
            return self.bodyKilobytes.map { kilobytes in
                var shape = base
                // Agents send one big request at a time per session: few connections, as wrk -c 8.
                shape.users = min(self.users, self.bodyConcurrency)
                shape.concurrencyPerUser = max(1, self.bodyConcurrency / shape.users)
                shape.body = AgentRequestBody.chatCompletions(kilobytes: kilobytes)
                shape.translatedBody = AgentRequestBody.chatCompletions(kilobytes: kilobytes, model: "claude-bench")
                return ("body-\(kilobytes)kb", shape)
            }
        }
        let mixes = self.scenario == "all" ? LoadShape.Mix.allCases : [LoadShape.Mix(rawValue: self.scenario)!]
        return mixes.map { mix in
            var shape = base
            shape.mix = mix
            return (mix.rawValue, shape)
        }
    }

    /// One scenario: a warm-up of every arm, then each arm in turn, with the CPU its proxy
    /// process spent (the direct arm's is the mock's).
    private func run(
        scenario: String, shape: LoadShape, servers: Targets, runner: LoadRunner, credential: @escaping @Sendable (Int) -> String?
    ) async -> ScenarioReport {
        func arm(_ name: String, _ urls: [String], cpu: (() -> Double)?, shape: LoadShape = shape) async -> ArmResult {
            if self.warmup > 0 {
                var warm = shape
                warm.duration = self.warmup
                warm.requests = nil
                _ = await runner.run(arm: "warmup", baseURLs: urls, shape: warm, credential: credential)
            }
            let before = cpu?()
            var result = await runner.run(arm: name, baseURLs: urls, shape: shape, credential: credential)
            if let before, let cpu { result.cpuSeconds = cpu() - before }
            return result
        }
        let mock = servers.mock, gateway = servers.gateway, floorProcess = servers.floor
        let gatewayCPU = gateway.map { process in { process.cpuSeconds } }
        let direct = await arm("direct", [servers.mockURL], cpu: mock.map { process in { process.cpuSeconds } })
        let proxy = await arm("proxy", [servers.gatewayURL], cpu: gatewayCPU)
        var others: [ArmResult] = []
        if let beforeURL = servers.beforeURL, let before = servers.before {
            others.append(await arm("before", [beforeURL], cpu: { before.cpuSeconds }))
        }
        var floor: ArmResult?
        if let floorURL = servers.floorURL {
            floor = await arm("floor", [floorURL], cpu: floorProcess.map { process in { process.cpuSeconds } })
        }
        for reverseProxy in servers.reverseProxies {
            others.append(await arm(reverseProxy.kind.rawValue, [reverseProxy.url], cpu: { reverseProxy.cpuSeconds }))
        }
        for store in servers.storeArms {
            others.append(await arm(store.name, store.urls, cpu: nil))
        }
        if let body = shape.translatedBody {
            // The same gateway and body, to a `claude-*` model: translated to Messages and back.
            var translated = shape
            translated.body = body
            others.append(await arm("translated", [servers.gatewayURL], cpu: gatewayCPU, shape: translated))
        }
        return ScenarioReport(
            scenario: scenario, shape: shape, direct: direct, proxy: proxy, floor: floor, reverseProxies: others,
            gatewayPeakRSSBytes: servers.gateway?.peakResidentBytes, gatewayCPUSeconds: proxy.cpuSeconds)
    }

    /// One session token per simulated user, from the gateway's own login (or --api-key).
    private func credentials(client: HTTPClient, servers: Targets) async throws -> [String] {
        if let apiKey = self.apiKey { return [apiKey] }
        var tokens: [String] = []
        for user in 0..<self.users {
            var request = HTTPClientRequest(url: servers.gatewayURL + "/auth/login")
            request.method = .POST
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: #"{"username":"bench-user-\#(user)","password":"bench-password"}"#))
            let response = try await client.execute(request, timeout: .seconds(30))
            let body = try await response.body.collect(upTo: 1 << 16)
            struct Login: Decodable { var token: String }
            guard response.status == .ok, let login = try? JSONDecoder().decode(Login.self, from: Data(body.readableBytesView)) else {
                throw BenchError("logging in bench-user-\(user) failed: \(response.status)")
            }
            tokens.append(login.token)
        }
        return tokens
    }

    struct Targets {
        var gatewayURL: String
        var mockURL: String
        var gateway: ManagedProcess?
        var mock: ManagedProcess?
        var floor: ManagedProcess?
        /// `--before-server`: the gateway of another build.
        var before: ManagedProcess?
        var reverseProxies: [ReverseProxy] = []
        /// Gateways on another store (--store postgres), each arm spread over its instances.
        var storeArms: [(name: String, urls: [String])] = []
        var storeGateways: [ManagedProcess] = []

        var floorURL: String? { self.floor.map { "http://127.0.0.1:\($0.port)" } }
        var beforeURL: String? { self.before.map { "http://127.0.0.1:\($0.port)" } }

        func stop() {
            for proxy in self.reverseProxies { proxy.stop() }
            for gateway in self.storeGateways { gateway.stop() }
            self.floor?.stop()
            self.before?.stop()
            self.gateway?.stop()
            self.mock?.stop()
        }
    }

    private func targets() async throws -> Targets {
        if let gatewayURL = self.gatewayURL, let mockURL = self.mockURL {
            return Targets(gatewayURL: gatewayURL, mockURL: mockURL)
        }
        let directory =
            self.binDirectory.map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        let mock = try await ManagedProcess(
            name: "proxy-mock",
            executable: directory.appendingPathComponent("proxy-mock"),
            arguments: ["--port", "0", "--chunks", String(self.chunks), "--chunk-delay-ms", String(self.chunkDelayMilliseconds)]
        )
        let config = FileManager.default.temporaryDirectory.appendingPathComponent("proxy-bench-\(getpid()).toml")
        try Self.gatewayConfig(
            mockPort: mock.port,
            users: self.users,
            // The long streams all run on the first user's credential.
            perUserConcurrency: self.perTokenConcurrency ?? max(self.concurrencyPerUser, self.longStreams ?? 0),
            quotas: self.quotas || self.store == "postgres",
            budgets: self.budgets,
            accounts: self.accounts,
            // A soak's hundreds of thousands of usage records would grow an in-memory store.
            storageURL: self.soak == nil ? "sqlite::memory:" : "sqlite:" + config.path + ".sqlite"
        )
        .write(to: config, atomically: true, encoding: .utf8)
        let gateway = try await ManagedProcess(
            name: "proxy-server",
            executable: directory.appendingPathComponent("proxy-server"),
            arguments: ["serve", "--config", config.path, "--port", "0"]
        )
        let floor =
            self.floor || !self.bodyKilobytes.isEmpty
            ? try await ManagedProcess(
                name: "proxy-floor",
                executable: directory.appendingPathComponent("proxy-floor"),
                arguments: ["http://127.0.0.1:\(mock.port)", "0"]
            ) : nil
        var before: ManagedProcess?
        if let path = self.beforeServer {
            before = try await ManagedProcess(
                name: "proxy-server (before)", executable: URL(fileURLWithPath: path),
                arguments: ["serve", "--config", config.path, "--port", "0"])
        }
        var reverseProxies: [ReverseProxy] = []
        if self.reverseProxies || !self.bodyKilobytes.isEmpty {
            for kind in ReverseProxy.Kind.allCases { reverseProxies.append(try await ReverseProxy(kind, upstreamPort: mock.port)) }
        }
        var targets = Targets(
            gatewayURL: "http://127.0.0.1:\(gateway.port)",
            mockURL: "http://127.0.0.1:\(mock.port)",
            gateway: gateway,
            mock: mock,
            floor: floor,
            before: before,
            reverseProxies: reverseProxies
        )
        if self.store == "postgres", let postgresURL = self.postgresURL {
            let sharedConfig = FileManager.default.temporaryDirectory.appendingPathComponent("proxy-bench-\(getpid())-postgres.toml")
            try Self.gatewayConfig(
                mockPort: mock.port, users: self.users, perUserConcurrency: self.perTokenConcurrency ?? self.concurrencyPerUser,
                quotas: true,
                accounts: self.accounts, storageURL: postgresURL
            ).write(to: sharedConfig, atomically: true, encoding: .utf8)
            for _ in 0..<2 {
                targets.storeGateways.append(
                    try await ManagedProcess(
                        name: "proxy-server", executable: directory.appendingPathComponent("proxy-server"),
                        arguments: ["serve", "--config", sharedConfig.path, "--port", "0"]))
            }
            let urls = targets.storeGateways.map { "http://127.0.0.1:\($0.port)" }
            targets.storeArms = [("postgres", [urls[0]]), ("postgres-x2", urls)]
        }
        return targets
    }

    /// The gateway's configuration for a run: one OpenAI-kind provider, the mock, and one user
    /// per simulated user, each allowed `perUserConcurrency` requests in flight. Logging at
    /// `warning` keeps the per-request access line out of the measurement.
    static func gatewayConfig(
        mockPort: Int, users: Int, perUserConcurrency: Int, quotas: Bool, budgets: Bool = false, accounts: Int,
        storageURL: String = "sqlite::memory:"
    ) -> String {
        let accountTables = (0..<max(1, accounts)).map {
            "[[providers.accounts]]\nname = \"bench-\($0)\"\napi_key = \"sk-bench-upstream-key-\($0)\"\n"
        }.joined(separator: "\n")
        let userTables = (0..<users).map {
            "[[auth.users]]\nusername = \"bench-user-\($0)\"\npassword = \"bench-password\"\ntier = \"bench\"\n"
        }.joined(separator: "\n")
        return """
            [server]
            metrics_port = 0
            shutdown_grace_seconds = 5

            [logging]
            level = "error"

            [auth]
            jwt_secret = "bench-jwt-secret-0123456789"

            \(userTables)
            [quota.tiers.bench]
            monthly_requests = \(quotas ? 1_000_000_000 : 0)
            \(budgets ? "monthly_usd = 1000000" : "")

            [limits]
            per_token_concurrency = \(perUserConcurrency)

            [storage]
            url = "\(storageURL)"

            [[providers]]
            name = "mock"
            kind = "openai"
            base_url = "http://127.0.0.1:\(mockPort)"
            models = ["gpt-*"]
            timeout_seconds = 600
            forward_headers = ["x-mock-*"]

            \(accountTables)

            # The Responses API passed through as received (the `responses-native` scenario).
            [[providers]]
            name = "mock-native-responses"
            kind = "openai"
            base_url = "http://127.0.0.1:\(mockPort)"
            models = ["native-*"]
            responses_api = "native"
            timeout_seconds = 600
            forward_headers = ["x-mock-*"]

            \(accountTables)

            # Chat Completions translated to Messages (the `--body-kb` scenarios' translated arm).
            [[providers]]
            name = "mock-anthropic"
            kind = "anthropic"
            base_url = "http://127.0.0.1:\(mockPort)"
            models = ["claude-*"]
            timeout_seconds = 600
            forward_headers = ["x-mock-*"]

            \(accountTables)
            """
    }

    static func jsonText(_ value: Any) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: value, options: [.prettyPrinted, .sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
