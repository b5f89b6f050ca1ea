import Foundation
import ProxyConfig
import ProxyEngine
import Testing

@testable import ProxyServer

@Suite(.timeLimit(.minutes(5))) struct ConfigLoaderTests {
    /// The contract's full example, every key.
    static let contractExample = """
        [server]
        host = "127.0.0.1"
        port = 8080
        metrics_port = 9090
        max_body_bytes = 10485760
        shutdown_grace_seconds = 30

        [auth]
        jwt_secret = "${PROXY_JWT_SECRET}"
        token_ttl_seconds = 3600
        login_cache_seconds = 60
        admin_key = "${PROXY_ADMIN_KEY}"

        [[auth.users]]
        username = "alice"
        password_hash = "scrypt$15$8$1$EMpns_2Fv9xqArKOQXLnPg$CjkYgtzMbiCazKNsHhtjT9MhZztwDBht2J6er-bSAu4"
        tier = "pro"
        disabled = false

        [quota]
        timezone = "UTC"
        flush_every_requests = 100
        flush_interval_seconds = 5

        [quota.tiers.basic]
        monthly_requests = 500
        monthly_tokens = 0
        requests_per_minute = 0
        tokens_per_minute = 0
        monthly_usd = 0
        [quota.tiers.pro]
        monthly_requests = 1000
        monthly_usd = 25.5
        [quota.tiers.premium]
        monthly_requests = 1500

        [limits]
        per_token_concurrency = 1

        [prices."deepseek-chat"]
        input = 0.27
        cached_input = 0.07
        cache_write = 0
        output = 1.10

        [storage]
        url = "sqlite:data/proxy.sqlite"

        [[providers]]
        name = "deepseek"
        kind = "openai"
        base_url = "https://api.deepseek.com"
        models = ["deepseek-*"]
        aliases = { "gpt-4o" = "deepseek-chat" }
        strategy = "health_weighted"
        timeout_seconds = 20
        connect_timeout_seconds = 5
        requests_per_second = 2
        queue_capacity = 20
        queue_timeout_seconds = 5
        max_retries = 2

        [[providers.accounts]]
        name = "ds-1"
        api_key = "${DEEPSEEK_API_KEY}"
        weight = 1

        [[providers]]
        name = "claude"
        kind = "anthropic"
        base_url = "https://api.anthropic.com"
        models = ["claude-*"]

        [providers.oauth]
        authorize_url = "https://claude.ai/oauth/authorize"
        token_url = "https://console.anthropic.com/v1/oauth/token"
        client_id = "abc"
        redirect_uri = "https://example.invalid/cb"
        scopes = ["org:create_api_key", "user:profile", "user:inference"]

        [[providers.accounts]]
        name = "cc-1"
        kind = "oauth"
        refresh_token = "${CC_REFRESH_TOKEN}"
        access_token = ""
        expires_at = 0
        """

    static let environment = [
        "PROXY_JWT_SECRET": "jwt-secret-0123456789", "PROXY_ADMIN_KEY": "admin-key-0123456789", "DEEPSEEK_API_KEY": "sk-ds",
        "CC_REFRESH_TOKEN": "rt",
    ]

    func loadError(_ text: String, environment: [String: String] = Self.environment) -> ConfigError? {
        do {
            _ = try ConfigLoader.parse(text, environment: environment)
            return nil
        } catch {
            return error
        }
    }

    @Test func theContractExampleLoadsWithEveryKey() throws {
        let config = try ConfigLoader.parse(Self.contractExample, environment: Self.environment)
        #expect(config.auth.jwtSecret == "jwt-secret-0123456789")
        #expect(config.auth.users.first?.tier == "pro")
        #expect(config.quota.tiers["pro"]?.monthlyRequests == 1000)
        #expect(config.quota.tiers["pro"]?.quotaLimits.monthlyMicrodollars == 25_500_000)
        #expect(config.providers[0].aliases == ["gpt-4o": "deepseek-chat"])
        #expect(config.providers[0].accounts[0].apiKey == "sk-ds")
        #expect(config.providers[0].requestsPerSecond == 2)
        #expect(config.providers[1].accounts[0].kind == .oauth)
        #expect(config.providers[1].oauth?.clientID == "abc")
        // `[prices."deepseek-chat"]` wins over the built-in row of the same name.
        let price = ModelPrice(input: 0.27, cachedInput: 0.07, cacheWrite: 0, output: 1.10)
        #expect(config.prices == [PriceConfig(pattern: "deepseek-chat", input: 0.27, cachedInput: 0.07, cacheWrite: 0, output: 1.10)])
        #expect(PriceTable(overrides: config.prices.map(\.override)).price(of: "deepseek-chat") == price)
        #expect(PriceTable().price(of: "deepseek-chat") != price)
    }

    @Test func theRootConfigLoadsAndNeedsNoKey() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let config = try ConfigLoader.load(path: root.appendingPathComponent("config.toml").path, environment: [:])
        #expect(config.providers.allSatisfy { $0.kind == .mock })
    }

    @Test(arguments: [
        ("[server]\nprot = 8080", "server.prot", "unknown key"),
        ("[[providers]]\nname = \"m\"\nkind = \"mock\"\nmodels = [\"*\"]\ncolour = 1", "providers[0].colour", "unknown key"),
        ("[nonsense]\na = 1", "nonsense", "unknown key"),
        ("[server]\nport = \"eighty\"", "server.port", "must be an integer"),
        ("[[providers]]\nname = \"m\"\nkind = \"smtp\"", "providers[0].kind", "must be one of"),
        (
            "[[providers]]\nname = \"m\"\nkind = \"mock\"\nmodels = [\"*\"]\n[providers.mock]\nchunks = 0", "providers[0].mock.chunks",
            "between 1 and"
        ),
        ("[server]\nclient_timeout_seconds = inf", "server.client_timeout_seconds", "finite"),
        ("[server]\nshutdown_grace_seconds = nan", "server.shutdown_grace_seconds", "finite"),
        ("[server]\nclient_timeout_seconds = 1e300", "server.client_timeout_seconds", "at most"),
        ("[[providers]]\nname = \"m\"\nkind = \"mock\"\nmodels = [\"*\"]\ntimeout_seconds = inf", "providers[0].timeout_seconds", "finite"),
        (
            "[[providers]]\nname = \"m\"\nkind = \"mock\"\nmodels = [\"*\"]\ntimeout_seconds = 1e300", "providers[0].timeout_seconds",
            "at most"
        ),
        (
            "[[providers]]\nname = \"m\"\nkind = \"mock\"\nmodels = [\"*\"]\ntimeout_seconds = -nan", "providers[0].timeout_seconds",
            "finite"
        ),
        (
            "[[providers]]\nname = \"m\"\nkind = \"mock\"\nmodels = [\"*\"]\n[[providers.accounts]]\nname = \"a\"\nweight = inf",
            "providers[0].accounts[0].weight", "finite"
        ),
        (
            "[[providers]]\nname = \"m\"\nkind = \"mock\"\nmodels = [\"*\"]\n[[providers.accounts]]\nname = \"a\"\nweight = 0",
            "providers[0].accounts[0].weight", "greater than 0"
        ),
        ("[auth]\ntoken_ttl_seconds = 9223372036854775807", "auth.token_ttl_seconds", "between 1 and"),
        ("[auth]\nadmin_key = \"short\"", "auth.admin_key", "at least 16"),
        ("[server]\ncors_origins = [\"app.example.com\"]", "server.cors_origins[0]", "not an origin"),
        ("[!]", "", "table name must start"),
        ("[[ é]]", "", "table name must start"),
        ("d = [1, }", "", "'}' inside an array"),
        ("d = { a = [ [ } ] }", "", "'}' inside an array"),
        ("[server]\ncors_origins = [\"https://app.example.com/path\"]", "server.cors_origins[0]", "not an origin"),
        (
            "[[providers]]\nname = \"m\"\nkind = \"mock\"\nmodels = [\"*\"]\nforward_headers = [\"authorization\"]",
            "providers[0].forward_headers[0]", "never go upstream"
        ),
        ("[auth]\njwt_secret = \"${NOT_SET_ANYWHERE}\"", "auth.jwt_secret", "NOT_SET_ANYWHERE"),
        ("[prices.\"m\"]\ninput = -1\noutput = 1", "prices.\"m\".input", "dollars per million tokens"),
        ("[prices.\"m\"]\ninput = 1\noutput = 1e9", "prices.\"m\".output", "between 0 and"),
        ("[prices.\"m\"]\ninput = 1", "prices.\"m\"", "needs 'input' and 'output'"),
        ("[prices.\"m\"]\ninput = 1\noutput = 2\ncolour = 3", "prices.m.colour", "unknown key"),
        ("[quota.tiers.x]\nmonthly_usd = -5", "quota.tiers.x.monthly_usd", "between 0"),
    ])
    func errorsNameTheKey(text: String, key: String, message: String) throws {
        let error = try #require(self.loadError(text))
        #expect(error.key == key)
        #expect(error.description.contains(message), "\(error)")
    }

    /// What the table-header guard (a toml++ assertion's workaround) must let through.
    @Test func headerLookalikesInValuesAndStringsAreLeftToTheParser() throws {
        let text = """
            [[providers]]
            name = "[!] mock"
            kind = "mock"
            models = [
            "mock-*",
            ]
            aliases = { "[x" = "mock-y" }
            """
        let config = try ConfigLoader.parse(text, environment: [:])
        #expect(config.providers.first?.name == "[!] mock")
        #expect(config.providers.first?.aliases == ["[x": "mock-y"])
    }

    @Test func syntaxErrorsGiveTheLine() throws {
        let error = try #require(self.loadError("[server]\nport = = 1"))
        #expect(error.description.contains("line 2"), "\(error)")
    }

    @Test func theFileIsNamedInErrors() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID()).toml").path
        try "[server]\nprot = 1\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: ConfigError.self) { try ConfigLoader.load(path: path, environment: [:]) }
        do {
            _ = try ConfigLoader.load(path: path, environment: [:])
        } catch {
            #expect(error.description.hasPrefix(path))
        }
    }

    @Test func environmentVariablesAreSubstitutedInsideStrings() throws {
        let text =
            "[[providers]]\nname = \"o\"\nkind = \"openai\"\nbase_url = \"http://${HOST}:11434/v1\"\nmodels = [\"*\"]\n[[providers.accounts]]\nname = \"a\"\napi_key = \"k-${SUFFIX}\""
        let config = try ConfigLoader.parse(text, environment: ["HOST": "127.0.0.1", "SUFFIX": "xyz"])
        #expect(config.providers[0].baseURL == "http://127.0.0.1:11434/v1")
        #expect(config.providers[0].accounts[0].apiKey == "k-xyz")
    }

    @Test(arguments: [
        ("https://api.deepseek.com", "https://api.deepseek.com/v1"),
        ("https://api.openai.com/v1/", "https://api.openai.com/v1"),
        ("http://127.0.0.1:11434/v1", "http://127.0.0.1:11434/v1"),
        ("https://open.bigmodel.cn/api/paas/v4", "https://open.bigmodel.cn/api/paas/v4"),
        ("https://generativelanguage.googleapis.com/v1beta/openai", "https://generativelanguage.googleapis.com/v1beta/openai"),
    ])
    func apiRootsOfKnownProviders(baseURL: String, root: String) {
        #expect(APIRoot.of(baseURL: baseURL) == root)
    }
}
