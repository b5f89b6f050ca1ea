import Testing

@testable import ProxyEngine

@Suite(.timeLimit(.minutes(5))) struct ConfigValidationTests {
    func valid() -> GatewayConfig {
        var config = GatewayConfig()
        var provider = ProviderConfig(name: "ds", kind: .openai, baseURL: "https://api.deepseek.com", models: ["deepseek-*"])
        provider.accounts = [AccountConfig(name: "a", apiKey: "sk-1")]
        config.providers = [provider]
        return config
    }

    @Test func aValidConfigPasses() throws {
        try self.valid().validate()
    }

    @Test(
        arguments: [
            ("server.port", { @Sendable (c: inout GatewayConfig) in c.server.port = 70000 }),
            ("server.max_body_bytes", { c in c.server.maxBodyBytes = 0 }),
            ("providers", { c in c.providers = [] }),
            ("providers[0].base_url", { c in c.providers[0].baseURL = "api.deepseek.com" }),
            ("providers[0].accounts[0].kind", { c in c.providers[0].accounts[0].kind = .oauth }),
            ("providers[0].accounts[0].api_key", { c in c.providers[0].accounts[0].apiKey = "" }),
            ("providers[0].timeout_seconds", { c in c.providers[0].timeoutSeconds = 0 }),
            ("providers[0].models", { c in c.providers[0].models = [] }),
            ("providers[1].name", { c in c.providers.append(c.providers[0]) }),
            ("auth.users[0].tier", { c in c.auth.users = [AuthUser(username: "a", password: "p", tier: "gold")] }),
            ("auth.users[0]", { c in c.auth.users = [AuthUser(username: "a", tier: "pro")] }),
        ] as [(String, @Sendable (inout GatewayConfig) -> Void)])
    func eachBrokenRuleNamesItsKey(key: String, breakIt: @Sendable (inout GatewayConfig) -> Void) {
        var config = self.valid()
        breakIt(&config)
        #expect(throws: ConfigError.self) { try config.validate() }
        do {
            try config.validate()
        } catch {
            #expect(error.key == key)
        }
    }
}
