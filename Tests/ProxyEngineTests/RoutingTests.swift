import Testing

@testable import ProxyEngine

@Suite struct RoutingTests {
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

@Suite struct HeaderPolicyTests {
    @Test(arguments: ["connection", "keep-alive", "transfer-encoding", "te", "upgrade", "proxy-authorization", "trailer"])
    func hopByHopHeadersNeverCross(name: String) {
        #expect(!HeaderPolicy.forwardsRequestHeader(name))
        #expect(!HeaderPolicy.forwardsResponseHeader(name))
    }

    @Test(arguments: ["authorization", "x-api-key", "cookie", "host", "content-length", "accept-encoding"])
    func clientCredentialsAndFramingStayBehind(name: String) {
        #expect(!HeaderPolicy.forwardsRequestHeader(name))
    }

    @Test func ordinaryHeadersCross() {
        #expect(HeaderPolicy.forwardsRequestHeader("openai-organization"))
        #expect(HeaderPolicy.forwardsRequestHeader("anthropic-beta"))
        #expect(HeaderPolicy.forwardsResponseHeader("x-ratelimit-remaining-requests"))
        #expect(!HeaderPolicy.forwardsResponseHeader("set-cookie"))
    }

    @Test func headersNamedByConnectionAreHopByHop() {
        let tokens = HeaderPolicy.connectionTokens(["close, X-Custom-Hop", " x-other "])
        #expect(tokens == ["close", "x-custom-hop", "x-other"])
        #expect(!HeaderPolicy.forwardsRequestHeader("x-custom-hop", connectionTokens: tokens))
        #expect(!HeaderPolicy.forwardsResponseHeader("x-other", connectionTokens: tokens))
    }
}
