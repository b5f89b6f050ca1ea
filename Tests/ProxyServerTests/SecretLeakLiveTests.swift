import AsyncHTTPClient
import MockUpstream
import ProxyEngine
import Testing

@testable import ProxyServer

/// Issue #22, findings 4 to 7: an upstream that quotes its credential in a successful answer,
/// whole or streamed (the key split between two reads), on every route, pass-through and
/// translated, never hands it to the client; nor does an OAuth access token.
@Suite(.timeLimit(.minutes(5))) struct SecretLeakLiveTests {
    static let anthropicKey = "sk-ant-upstream-secret-0123456789"

    static let withAnthropic: @Sendable (inout GatewayConfig) -> Void = { config in
        var anthropic = ProviderConfig(
            name: "anthropic-upstream", kind: .anthropic, baseURL: config.providers[0].baseURL, models: ["claude-*"])
        anthropic.accounts = [AccountConfig(name: "ant-1", apiKey: Self.anthropicKey)]
        anthropic.forwardHeaders = ["x-mock-*"]
        anthropic.timeoutSeconds = 30
        config.providers.append(anthropic)
    }

    /// path, model: both pass-through routes and both translated ones.
    @Test(
        arguments: [
            ("/v1/chat/completions", "gpt-4o-mini"), ("/v1/messages", "claude-x"),
            ("/v1/messages", "gpt-4o-mini"), ("/v1/chat/completions", "claude-x"),
        ], [false, true])
    func aQuotedKeyInASuccessfulAnswerIsRedacted(route: (path: String, model: String), stream: Bool) async throws {
        try await LiveHarness.run(configure: Self.withAnthropic) { (harness) async throws in
            let body =
                #"{"model":"\#(route.model)","max_tokens":16,"stream":\#(stream),"messages":[{"role":"user","content":"hi"}]}"#
            let response = try await harness.send(
                harness.chatRequest(body, path: route.path, headers: [("x-mock-fault", "echo-key")]))
            #expect(response.status == 200, "\(response.body)")
            #expect(!response.body.contains(LiveHarness.upstreamKey))
            #expect(!response.body.contains(Self.anthropicKey))
            // Not merely cut: the rest of the answer came through, with the key's place marked.
            #expect(response.body.contains("your key is \(SecretScrubber.replacement) indeed"), "\(response.body)")
        }
    }

    @Test func anOAuthAccessTokenQuotedInAnErrorIsRedacted() async throws {
        let token = "oauth-access-token-0123456789"
        let behaviour = MockUpstreamBehaviour(faultsByKey: [token: .error401Echo, "mock-access-1": .error401Echo])
        try await LiveHarness.run(
            behaviour: behaviour, configure: OAuthLiveTests.oauthAccount(accessToken: token, expiresAt: Int.max / 2)
        ) { harness in
            let response = try await harness.send(harness.chatRequest(OAuthLiveTests.messages, path: "/v1/messages"))
            #expect(response.status == 401)
            #expect(!response.body.contains(token))
            #expect(!response.body.contains("mock-access-1"))
            #expect(response.body.contains(SecretScrubber.replacement))
        }
    }

    @Test func anOAuthAccessTokenQuotedInASuccessfulStreamIsRedacted() async throws {
        let token = "oauth-access-token-0123456789"
        try await LiveHarness.run(configure: OAuthLiveTests.oauthAccount(accessToken: token, expiresAt: Int.max / 2)) { harness in
            let body = #"{"model":"claude-x","max_tokens":16,"stream":true,"messages":[{"role":"user","content":"hi"}]}"#
            let response = try await harness.send(harness.chatRequest(body, path: "/v1/messages", headers: [("x-mock-fault", "echo-key")]))
            #expect(response.status == 200)
            #expect(!response.body.contains(token))
            #expect(response.body.contains("your key is \(SecretScrubber.replacement) indeed"), "\(response.body)")
        }
    }
}
