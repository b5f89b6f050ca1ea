import AsyncHTTPClient
import Foundation
import Logging
import MockUpstream
import NIOCore
import NIOHTTP1
import ProxyEngine
import TestSupport
import Testing

@testable import ProxyServer

/// SIGHUP's reload, called directly (the compatibility suite sends the real signal).
@Suite(.timeLimit(.minutes(5))) struct ReloadLiveTests {
    /// The harness's configuration as a file, with `extraUsers`, `aliases` and `limit`.
    static func file(mockPort: Int, users: [String] = ["tester"], aliases: String = #"{ "gpt-4o" = "gpt-4o-mini" }"#, limit: Int = 0)
        -> String
    {
        let userTables = users.map { "[[auth.users]]\nusername = \"\($0)\"\npassword = \"\($0)-password\"\ntier = \"pro\"\n" }
            .joined(separator: "\n")
        return """
            [server]
            metrics_port = 0
            max_body_bytes = 65536

            [auth]
            jwt_secret = "\(LiveHarness.jwtSecret)"
            admin_key = "\(LiveHarness.adminKey)"

            \(userTables)
            [limits]
            per_token_concurrency = \(limit)

            [storage]
            url = "sqlite::memory:"

            [[providers]]
            name = "mock-upstream"
            kind = "openai"
            base_url = "http://127.0.0.1:\(mockPort)"
            models = ["gpt-*"]
            aliases = \(aliases)
            timeout_seconds = 600
            forward_headers = ["x-mock-*"]

            [[providers.accounts]]
            name = "acct-1"
            api_key = "\(LiveHarness.upstreamKey)"
            """
    }

    func reloader(_ harness: LiveHarness, _ text: String) throws -> ConfigReloader {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("reload-\(UUID()).toml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return ConfigReloader(live: harness.live, path: path, logger: logger, signals: nil)
    }

    func login(_ harness: LiveHarness, _ user: String) async throws -> (status: Int, token: String?) {
        let response = try await harness.send(
            harness.request(.POST, "/auth/login", json: #"{"username":"\#(user)","password":"\#(user)-password"}"#))
        return (response.status, (try JSONTestObject.parse(response.body))?["token"] as? String)
    }

    @Test func aUserAddedToTheFileCanLogInAfterAReload() async throws {
        try await LiveHarness.run { (harness) async throws in
            #expect(try await self.login(harness, "newcomer").status == 401)
            let reloader = try self.reloader(harness, Self.file(mockPort: harness.mockPort, users: ["tester", "newcomer"]))
            #expect(await reloader.reload())
            let (status, token) = try await self.login(harness, "newcomer")
            #expect(status == 200)
            let request = harness.chatRequest(LiveHarness.body(), headers: [("authorization", "Bearer \(try #require(token))")])
            #expect(try await harness.send(request).status == 200)
        }
    }

    @Test func aNewAliasRoutesAfterAReload() async throws {
        try await LiveHarness.run { (harness) async throws in
            #expect(try await harness.send(harness.chatRequest(LiveHarness.body(model: "house-model"))).status == 404)
            let aliases = #"{ "gpt-4o" = "gpt-4o-mini", "house-model" = "gpt-house" }"#
            #expect(try await self.reloader(harness, Self.file(mockPort: harness.mockPort, aliases: aliases)).reload())
            #expect(try await harness.send(harness.chatRequest(LiveHarness.body(model: "house-model"))).status == 200)
            #expect(harness.mock.stats.snapshot.lastBody?.contains(#""model":"gpt-house""#) == true)
        }
    }

    @Test func aStreamStartedBeforeAReloadCompletesIntact() async throws {
        try await LiveHarness.run(configure: { $0.providers[0].timeoutSeconds = 600 }) { (harness) async throws in
            let request = harness.chatRequest(LiveHarness.body(stream: true), headers: [("x-mock-hold", "reload")])
            let response = try await harness.client.execute(request, timeout: .seconds(30))
            try await harness.mock.stats.wait { $0.active == 1 }
            // The new file even drops the stream's provider's model pattern.
            let text = Self.file(mockPort: harness.mockPort).replacingOccurrences(
                of: #"models = ["gpt-*"]"#, with: #"models = ["other-*"]"#)
            #expect(try await self.reloader(harness, text).reload())
            harness.mock.gates.open("reload")
            let transcript = try OpenAIStreamTranscript(String(buffer: try await response.body.collect(upTo: 1 << 20)))
            #expect(transcript.sawDone)
            #expect(transcript.text == LiveHarness.expectedText(chunks: 8))
            #expect(try await harness.send(harness.chatRequest(LiveHarness.body())).status == 404, "new requests see the new file")
        }
    }

    @Test func aBrokenFileLeavesTheGatewayServingAsBefore() async throws {
        try await LiveHarness.run { (harness) async throws in
            let broken = Self.file(mockPort: harness.mockPort).replacingOccurrences(
                of: "timeout_seconds = 600", with: "timeout_seconds = inf")
            #expect(try await self.reloader(harness, broken).reload() == false)
            #expect(try await self.reloader(harness, "[server\nport = ").reload() == false)
            #expect(try await harness.send(harness.chatRequest(LiveHarness.body())).status == 200)
            let metrics = try await harness.send(HTTPClientRequest(url: harness.baseURL + "/metrics")).body
            #expect(PrometheusSamples(metrics).sum("proxy_config_reloads_total", ["result": "failure"]) == 2)
            #expect(PrometheusSamples(metrics).sum("proxy_config_reloads_total", ["result": "success"]) == 0)
        }
    }

    @Test func aRemovedUsersSessionTokenIsRefusedAfterAReload() async throws {
        try await LiveHarness.run(configure: {
            $0.auth.users.append(AuthUser(username: "leaver", password: "leaver-password", tier: "pro"))
        }) {
            (harness) async throws in
            let token = try #require(try await self.login(harness, "leaver").token)
            let request = { harness.chatRequest(LiveHarness.body(), headers: [("authorization", "Bearer \(token)")]) }
            #expect(try await harness.send(request()).status == 200)
            #expect(try await self.reloader(harness, Self.file(mockPort: harness.mockPort)).reload())
            #expect(try await harness.send(request()).status == 401)
        }
    }

    @Test func heldSlotsAndAccountHealthCarryOver() async throws {
        try await LiveHarness.run(configure: { $0.limits.perTokenConcurrency = 1 }) { (harness) async throws in
            let reloader = try self.reloader(harness, Self.file(mockPort: harness.mockPort, limit: 1))
            let held = Task {
                let request = harness.chatRequest(LiveHarness.body(stream: true), headers: [("x-mock-hold", "never")])
                let response = try await harness.client.execute(request, timeout: .seconds(30))
                for try await _ in response.body {}
            }
            try await harness.mock.stats.wait { $0.active == 1 }
            #expect(await reloader.reload())
            #expect(try await harness.send(harness.chatRequest(LiveHarness.body())).status == 429, "the held slot carried over")
            held.cancel()
            _ = await held.result
            try await eventually("the session's slot is free") { harness.gateway.tokenLimiter.count("jwt:test-session") == 0 }
            let cooled = try await harness.send(
                harness.chatRequest(LiveHarness.body(), headers: [("x-mock-fault", "429"), ("x-mock-retry-after", "300")]))
            #expect(cooled.status == 429)
            #expect(await reloader.reload())
            let statuses = harness.gateway.providers[0].pool!.statuses()
            #expect(statuses.first?.reason == "rate limited", "the cooldown carried over")
            #expect(try await harness.send(harness.chatRequest(LiveHarness.body())).status == 503)
        }
    }
}
