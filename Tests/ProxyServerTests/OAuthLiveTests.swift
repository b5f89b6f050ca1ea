import AsyncHTTPClient
import MockUpstream
import NIOCore
import ProxyEngine
import Testing

@testable import ProxyServer

/// An Anthropic provider with one OAuth (subscription) account, against proxy-mock's token
/// endpoint.
@Suite(.timeLimit(.minutes(5))) struct OAuthLiveTests {
    static func oauthAccount(accessToken: String, refreshToken: String = "seed-refresh", expiresAt: Int)
        -> @Sendable (inout GatewayConfig) -> Void
    {
        { config in
            config.providers[0].kind = .anthropic
            config.providers[0].models = ["claude-*"]
            var settings = OAuthSettings()
            settings.tokenURL = config.providers[0].baseURL + "/v1/oauth/token"
            config.providers[0].oauth = settings
            var account = AccountConfig(name: "cc-1")
            account.kind = .oauth
            account.accessToken = accessToken
            account.refreshToken = refreshToken
            account.expiresAt = expiresAt
            config.providers[0].accounts = [account]
            config.providers[0].timeoutSeconds = 30
        }
    }

    static let messages = #"{"model":"claude-x","max_tokens":16,"system":"Be brief.","messages":[{"role":"user","content":"hi"}]}"#

    @Test func aHundredConcurrentRequestsOnAnExpiredTokenMakeExactlyOneRefresh() async throws {
        // The token endpoint answers slowly, so the requests pile up behind the one refresh.
        let behaviour = MockUpstreamBehaviour(oauthLatencyMilliseconds: 300)
        try await LiveHarness.run(behaviour: behaviour, configure: Self.oauthAccount(accessToken: "expired", expiresAt: 1)) { harness in
            let statuses = try await withThrowingTaskGroup(of: Int.self, returning: [Int].self) { group in
                for _ in 0..<100 {
                    group.addTask { try await harness.send(harness.chatRequest(Self.messages, path: "/v1/messages")).status }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses == Array(repeating: 200, count: 100))
            let stats = harness.mock.stats.snapshot
            #expect(stats.oauthRefreshes == 1)
            #expect(stats.requestsByKey == ["mock-access-1": 100])
            #expect(stats.lastHeaders["authorization"] == "Bearer mock-access-1")
            #expect(stats.lastHeaders["x-api-key"] == nil)
            #expect(stats.lastHeaders["anthropic-beta"]?.contains("oauth-2025-04-20") == true)
            let system = json(stats.lastBody ?? "{}")["system"]?.arrayValue?.compactMap { $0["text"]?.stringValue }
            #expect(system == [OAuthRequestShaping.systemPrompt, "Be brief."])
        }
    }

    @Test func aRefusedTokenIsRefreshedOnceAndTheRequestRetried() async throws {
        let behaviour = MockUpstreamBehaviour(faultsByKey: ["revoked-early": .error401Echo])
        try await LiveHarness.run(
            behaviour: behaviour, configure: Self.oauthAccount(accessToken: "revoked-early", expiresAt: Int.max / 2)
        ) { harness in
            let answer = try await harness.send(harness.chatRequest(Self.messages, path: "/v1/messages"))
            #expect(answer.status == 200)
            let stats = harness.mock.stats.snapshot
            #expect(stats.oauthRefreshes == 1)
            #expect(stats.requestsByKey == ["revoked-early": 1, "mock-access-1": 1])
        }
    }

    @Test func aFailedRefreshTakesTheAccountOutOfRotation() async throws {
        try await LiveHarness.run(configure: Self.oauthAccount(accessToken: "", refreshToken: "revoked-refresh", expiresAt: 0)) { harness in
            let first = try await harness.send(harness.chatRequest(Self.messages, path: "/v1/messages"))
            #expect(first.status == 502)
            #expect(json(first.body)["error"]?["message"]?.stringValue?.contains("OAuth") == true)
            #expect(!first.body.contains("revoked-refresh"))
            let second = try await harness.send(harness.chatRequest(Self.messages, path: "/v1/messages"))
            #expect(second.status == 503)
            #expect(json(second.body)["error"]?["type"] == .string("overloaded_error"))
        }
    }
}

private func json(_ text: String) -> JSONValue { JSONValue(parsing: text) ?? .null }
