import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import MockUpstream
import NIOCore
import NIOHTTP1
import ProxyEngine
import ServiceLifecycle
import Testing

@testable import ProxyServer

/// A mock upstream and a gateway in front of it, each on an ephemeral loopback port, for as
/// long as `body` runs; both are shut down gracefully afterwards.
struct LiveHarness: Sendable {
    let gatewayPort: Int
    let mockPort: Int
    let mock: MockUpstreamServer
    let client: HTTPClient
    let live: LiveGateway
    /// The gateway new requests get now (a reload replaces it).
    var gateway: Gateway { self.live.current }
    /// Starts the gateway's graceful shutdown, as SIGTERM does.
    let shutDownGateway: @Sendable () async -> Void

    static let upstreamKey = "sk-upstream-secret-0123456789"
    static let jwtSecret = "test-jwt-secret-0123456789"
    static let adminKey = "test-admin-key-0123456789"

    /// A session token for the configured user, valid for the whole test.
    static func token(user: String = "tester", jti: String = "test-session") -> String {
        JWTSigner(secret: Self.jwtSecret).sign(
            SessionClaims(sub: user, tier: "pro", iat: 0, exp: Int(Date().timeIntervalSince1970) + 3600, jti: jti)
        )
    }

    var baseURL: String { "http://127.0.0.1:\(self.gatewayPort)" }

    /// A config routing `gpt-*` to the mock as an `openai` provider, and `gpt-4o` aliased.
    static func config(mockPort: Int) -> GatewayConfig {
        var config = GatewayConfig()
        var provider = ProviderConfig(name: "mock-upstream", kind: .openai, baseURL: "http://127.0.0.1:\(mockPort)", models: ["gpt-*"])
        provider.aliases = ["gpt-4o": "gpt-4o-mini"]
        provider.accounts = [AccountConfig(name: "acct-1", apiKey: Self.upstreamKey)]
        // Far above what a request takes even on a loaded machine; the tests of the deadline
        // itself set a short one.
        provider.timeoutSeconds = 30
        // The mock's per-request controls (`x-mock-fault`, `x-mock-chunks`...).
        provider.forwardHeaders = ["x-mock-*"]
        config.providers = [provider]
        config.server.maxBodyBytes = 64 * 1024
        config.server.metricsPort = 0
        config.storage.url = "sqlite::memory:"
        config.auth.jwtSecret = Self.jwtSecret
        config.auth.adminKey = Self.adminKey
        config.auth.users = [AuthUser(username: "tester", password: "tester-password", tier: "pro")]
        config.limits.perTokenConcurrency = 0
        // Written when a test asks (`QuotaFlusher.flush`), never meanwhile: a background flush
        // that has taken the records but not yet stored them would hide them from the test's.
        config.quota.flushIntervalSeconds = 3600
        return config
    }

    static func run(
        behaviour: MockUpstreamBehaviour = .init(),
        configure: @Sendable (inout GatewayConfig) -> Void = { _ in },
        shutdownGrace: Duration? = nil,
        _ body: @Sendable (LiveHarness) async throws -> Void
    ) async throws {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let mock = MockUpstreamServer(behaviour: behaviour)
        let (mockPorts, mockPortSink) = AsyncStream<Int>.makeStream()
        let mockApp = mock.application(port: 0, logger: logger, countingSentBytes: true) { mockPortSink.yield($0) }
        let mockGroup = ServiceGroup(configuration: .init(services: [mockApp], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await mockGroup.run() }
            var ports = mockPorts.makeAsyncIterator()
            let mockPort = await ports.next()!
            var config = Self.config(mockPort: mockPort)
            configure(&config)
            try config.validate()
            let live = LiveGateway(try await Gateway(config: config))
            let (gatewayPorts, gatewayPortSink) = AsyncStream<Int>.makeStream()
            let app = GatewayApplication.build(live: live, host: "127.0.0.1", port: 0, logger: logger, accessLog: false) {
                gatewayPortSink.yield($0.localAddress?.port ?? 0)
            }
            var groupConfiguration = ServiceGroupConfiguration(services: [app], logger: logger)
            groupConfiguration.maximumGracefulShutdownDuration = shutdownGrace
            let gatewayGroup = ServiceGroup(configuration: groupConfiguration)
            group.addTask { try await gatewayGroup.run() }
            var gatewayPortIterator = gatewayPorts.makeAsyncIterator()
            let gatewayPort = await gatewayPortIterator.next()!
            let harness = LiveHarness(
                gatewayPort: gatewayPort,
                mockPort: mockPort,
                mock: mock,
                client: HTTPClient.shared,
                live: live,
                shutDownGateway: { await gatewayGroup.triggerGracefulShutdown() }
            )
            do {
                try await body(harness)
            } catch {
                await gatewayGroup.triggerGracefulShutdown()
                await mockGroup.triggerGracefulShutdown()
                throw error
            }
            await gatewayGroup.triggerGracefulShutdown()
            await mockGroup.triggerGracefulShutdown()
            try await group.waitForAll()
        }
    }

    func chatRequest(
        _ json: String,
        path: String = "/v1/chat/completions",
        headers: [(String, String)] = []
    ) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: self.baseURL + path)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        if !headers.contains(where: { ["authorization", "x-api-key"].contains($0.0.lowercased()) }) {
            request.headers.add(name: "authorization", value: "Bearer \(Self.token())")
        }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(string: json))
        return request
    }

    func send(_ request: HTTPClientRequest) async throws -> (status: Int, headers: HTTPHeaders, body: String) {
        let response = try await self.client.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 16 * 1024 * 1024)
        return (Int(response.status.code), response.headers, String(buffer: body))
    }

    static func body(model: String = "gpt-4o-mini", stream: Bool = false) -> String {
        #"{"model":"\#(model)","stream":\#(stream),"messages":[{"role":"user","content":"hello"}]}"#
    }

    /// The text a streamed answer of `chunks` pieces reassembles to.
    static func expectedText(chunks: Int) -> String { MockCompletion(id: "", model: "", created: 0, chunks: chunks).text }
}

/// Reassembles the `content` deltas of an OpenAI stream and checks it is well-formed.
struct OpenAIStreamTranscript {
    var text = ""
    var sawDone = false
    var errors: [String] = []
    var events = 0

    init(_ body: String) throws {
        var framer = SSEFramer()
        try framer.append(ByteBuffer(string: body))
        while let raw = framer.nextEvent() {
            let event = SSEEvent(parsing: raw)
            guard event.hasData else { continue }
            self.events += 1
            if event.data == "[DONE]" {
                self.sawDone = true
                continue
            }
            let object = try #require(try JSONTestObject.parse(event.data))
            if let error = object["error"] as? [String: Any] {
                self.errors.append(error["code"] as? String ?? "?")
                continue
            }
            let choices = object["choices"] as? [[String: Any]] ?? []
            if let delta = choices.first?["delta"] as? [String: Any], let content = delta["content"] as? String {
                self.text += content
            }
        }
        #expect(framer.unfinishedBytes == 0, "the stream ended mid-event")
    }
}
