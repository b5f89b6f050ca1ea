import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import ProxyEngine
import Testing

@testable import ProxyServer

/// The gateway's handlers in-process (HummingbirdTesting's router mode: no socket), beside the
/// live tests on loopback ports: the three doors on the in-process mock provider, and the
/// errors before any provider is asked.
@Suite(.timeLimit(.minutes(5))) struct InProcessRouteTests {
    static func application() async throws -> some ApplicationProtocol {
        var config = GatewayConfig()
        config.providers = [ProviderConfig(name: "mock", kind: .mock, baseURL: "", models: ["*"])]
        config.server.metricsPort = 0
        config.storage.url = "sqlite::memory:"
        config.auth.jwtSecret = LiveHarness.jwtSecret
        config.auth.adminKey = LiveHarness.adminKey
        config.auth.users = [AuthUser(username: "tester", password: "tester-password", tier: "pro")]
        try config.validate()
        let live = LiveGateway(try await Gateway(config: config))
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return GatewayApplication.build(live: live, host: "127.0.0.1", port: 0, logger: logger, accessLog: false)
    }

    static let headers: HTTPFields = [.authorization: "Bearer \(LiveHarness.token())", .contentType: "application/json"]

    @Test(arguments: [
        ("/v1/chat/completions", #"{"model":"mock-1","messages":[{"role":"user","content":"hi"}]}"#, #""object":"chat.completion""#),
        ("/v1/messages", #"{"model":"mock-1","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}"#, #""type":"message""#),
        ("/v1/responses", #"{"model":"mock-1","input":"hi"}"#, #""object":"response""#),
    ])
    func eachDoorAnswersOnTheMock(path: String, body: String, expected: String) async throws {
        try await Self.application().test(.router) { client in
            try await client.execute(uri: path, method: .post, headers: Self.headers, body: ByteBuffer(string: body)) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains(expected), "\(String(buffer: response.body).prefix(200))")
            }
        }
    }

    @Test func aStreamIsRelayedToItsEnd() async throws {
        let body = #"{"model":"mock-1","stream":true,"messages":[{"role":"user","content":"hi"}]}"#
        try await Self.application().test(.router) { client in
            try await client.execute(uri: "/v1/chat/completions", method: .post, headers: Self.headers, body: ByteBuffer(string: body)) {
                response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).hasSuffix("data: [DONE]\n\n"))
            }
        }
    }

    @Test func noCredentialIs401AndABadBodyIs400InTheCallersFormat() async throws {
        try await Self.application().test(.router) { client in
            try await client.execute(
                uri: "/v1/messages", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: "{}")
            ) { response in
                #expect(response.status == .unauthorized)
                #expect(String(buffer: response.body).contains(#""type":"error""#), "Anthropic's shape")
            }
            try await client.execute(uri: "/v1/chat/completions", method: .post, headers: Self.headers, body: ByteBuffer(string: "{")) {
                response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains(#""error":{"#), "OpenAI's shape")
            }
        }
    }
}
