import Testing

@testable import ProxyEngine

@Suite(.timeLimit(.minutes(5))) struct RoutingTests {
    @Test(arguments: [
        ("deepseek-*", "deepseek-chat", true),
        ("deepseek-*", "deepseek-", true),
        ("deepseek-*", "gpt-4o", false),
        ("gpt-4o", "gpt-4o", true),
        ("gpt-4o", "gpt-4o-mini", false),
        ("gpt-?o", "gpt-4o", true),
        ("*", "anything", true),
        ("a*b*c", "aXXbYYc", true),
        ("a*b*c", "aXXbYY", false),
        ("claude-*-sonnet*", "claude-3-5-sonnet-20241022", true),
    ])
    func globs(pattern: String, model: String, matches: Bool) {
        #expect(ModelGlob(pattern).matches(model) == matches)
    }

    func providers() -> [ProviderConfig] {
        var deepseek = ProviderConfig(name: "deepseek", kind: .openai, baseURL: "https://api.deepseek.com", models: ["deepseek-*"])
        deepseek.aliases = ["gpt-4o": "deepseek-chat"]
        let openai = ProviderConfig(name: "openai", kind: .openai, baseURL: "https://api.openai.com/v1", models: ["gpt-*", "o1"])
        let catchAll = ProviderConfig(name: "mock", kind: .mock, models: ["*"])
        return [deepseek, openai, catchAll]
    }

    @Test func aliasesWinAndRewriteTheModel() throws {
        let router = ModelRouter(providers: self.providers())
        let route = try #require(router.route(model: "gpt-4o"))
        #expect(route.provider == 0)
        #expect(route.upstreamModel == "deepseek-chat")
        #expect(route.isAliased)
    }

    @Test func theFirstProviderWhosePatternMatchesServes() throws {
        let router = ModelRouter(providers: self.providers())
        #expect(router.route(model: "deepseek-reasoner")?.provider == 0)
        #expect(router.route(model: "gpt-4o-mini")?.provider == 1)
        #expect(router.route(model: "gpt-4o-mini")?.isAliased == false)
        #expect(router.route(model: "llama3")?.provider == 2)
    }

    @Test func anUnclaimedModelHasNoRoute() {
        let router = ModelRouter(providers: Array(self.providers().prefix(2)))
        #expect(router.route(model: "llama3") == nil)
    }

    @Test func onlyExactNamesAreListed() {
        let router = ModelRouter(providers: self.providers())
        #expect(router.listedModels.map(\.id) == ["gpt-4o", "o1"])
    }
}

@Suite(.timeLimit(.minutes(5))) struct HeaderPolicyTests {
    @Test(arguments: ["connection", "keep-alive", "transfer-encoding", "te", "upgrade", "proxy-authorization", "trailer"])
    func hopByHopHeadersNeverCross(name: String) {
        #expect(!HeaderPolicy.forwardsRequestHeader(name))
        #expect(!HeaderPolicy.forwardsResponseHeader(name, status: 200, exposesRateLimits: true))
    }

    @Test(arguments: [
        "authorization", "x-api-key", "cookie", "host", "content-length", "accept-encoding", "openai-organization", "openai-project",
        "x-forwarded-for", "x-custom",
    ])
    func onlyTheAPIsRequestHeadersGoUpstream(name: String) {
        #expect(!HeaderPolicy.forwardsRequestHeader(name))
    }

    @Test(arguments: ["content-type", "accept", "user-agent", "anthropic-version", "anthropic-beta", "openai-beta"])
    func theAPIsOwnRequestHeadersCross(name: String) {
        #expect(HeaderPolicy.forwardsRequestHeader(name))
    }

    @Test(arguments: [
        "openai-organization", "anthropic-organization-id", "set-cookie", "server", "x-request-id", "request-id", "openai-project",
        "content-length", "x-custom",
    ])
    func upstreamIdentityNeverReachesClients(name: String) {
        #expect(!HeaderPolicy.forwardsResponseHeader(name, status: 200, exposesRateLimits: true))
    }

    @Test func retryAfterOnlyOnRefusals() {
        #expect(HeaderPolicy.forwardsResponseHeader("retry-after", status: 429, exposesRateLimits: false))
        #expect(HeaderPolicy.forwardsResponseHeader("retry-after", status: 503, exposesRateLimits: false))
        #expect(!HeaderPolicy.forwardsResponseHeader("retry-after", status: 200, exposesRateLimits: false))
    }

    @Test func rateLimitHeadersOnlyWhereTheProviderOptsIn() {
        for name in ["x-ratelimit-remaining-requests", "anthropic-ratelimit-tokens-remaining"] {
            #expect(!HeaderPolicy.forwardsResponseHeader(name, status: 200, exposesRateLimits: false))
            #expect(HeaderPolicy.forwardsResponseHeader(name, status: 200, exposesRateLimits: true))
        }
        #expect(HeaderPolicy.forwardsResponseHeader("openai-version", status: 200, exposesRateLimits: false))
    }
}
