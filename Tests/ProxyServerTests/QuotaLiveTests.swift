import AsyncHTTPClient
import Foundation
import MockUpstream
import NIOCore
import NIOHTTP1
import ProxyEngine
import Testing

@testable import ProxyServer

@Suite(.timeLimit(.minutes(5))) struct QuotaLiveTests {
    func quota(_ harness: LiveHarness, bearer: String = LiveHarness.token()) async throws -> [String: Any] {
        let response = try await harness.send(harness.request(.GET, "/auth/quota", bearer: bearer))
        #expect(response.status == 200)
        return try #require(try JSONTestObject.parse(response.body))
    }

    @Test func anExhaustedMonthlyQuotaIs402AndTheQuotaIsReported() async throws {
        try await LiveHarness.run(configure: { $0.quota.tiers["pro"] = QuotaTier(monthlyRequests: 3) }) { harness in
            for _ in 0..<3 {
                let admitted = try await harness.send(harness.chatRequest(LiveHarness.body()))
                #expect(admitted.status == 200)
            }
            let refused = try await harness.send(harness.chatRequest(LiveHarness.body()))
            #expect(refused.status == 402)
            let error = try #require(try JSONTestObject.parse(refused.body)?["error"] as? [String: Any])
            #expect(error["type"] as? String == "insufficient_quota")
            let quota = try await self.quota(harness)
            #expect(quota["tier"] as? String == "pro")
            #expect((quota["limits"] as? [String: Any])?["monthly_requests"] as? Int == 3)
            #expect((quota["used"] as? [String: Any])?["requests"] as? Int == 3)
            #expect((quota["used"] as? [String: Any])?["tokens"] as? Int ?? 0 > 0)
            #expect((quota["remaining"] as? [String: Any])?["requests"] as? Int == 0)
            #expect((quota["resets_at"] as? String)?.hasSuffix("Z") == true)
            #expect(harness.mock.stats.snapshot.requests == 3)
        }
    }

    @Test func aQuotaOfTenHitByFiftyConcurrentRequestsAdmitsExactlyTen() async throws {
        try await LiveHarness.run(configure: { $0.quota.tiers["pro"] = QuotaTier(monthlyRequests: 10) }) { harness in
            let statuses = try await withThrowingTaskGroup(of: Int.self, returning: [Int].self) { group in
                for _ in 0..<50 {
                    group.addTask { try await harness.send(harness.chatRequest(LiveHarness.body(stream: true))).status }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 200 }.count == 10)
            #expect(statuses.filter { $0 == 402 }.count == 40)
            #expect(harness.mock.stats.snapshot.requests == 10)
        }
    }

    /// The three doors share one quota: 50 concurrent requests, a third through each of Chat
    /// Completions, Messages and the Responses API, admit exactly ten between them.
    @Test func aQuotaOfTenHitThroughAllThreeDoorsAtOnceAdmitsExactlyTen() async throws {
        try await LiveHarness.run(configure: { $0.quota.tiers["pro"] = QuotaTier(monthlyRequests: 10) }) { harness in
            let doors: [(path: String, body: String)] = [
                ("/v1/chat/completions", LiveHarness.body(stream: true)),
                ("/v1/messages", #"{"model":"gpt-4o-mini","max_tokens":16,"stream":true,"messages":[{"role":"user","content":"hi"}]}"#),
                ("/v1/responses", #"{"model":"gpt-4o-mini","stream":true,"input":"hi"}"#),
            ]
            let statuses = try await withThrowingTaskGroup(of: (String, Int).self, returning: [(String, Int)].self) { group in
                for index in 0..<51 {
                    let door = doors[index % 3]
                    group.addTask { (door.path, try await harness.send(harness.chatRequest(door.body, path: door.path)).status) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0.1 == 200 }.count == 10)
            #expect(statuses.filter { $0.1 == 402 }.count == 41)
            #expect(harness.mock.stats.snapshot.requests == 10)
            await harness.flushUsage()
            let usage = try await harness.send(harness.request(.GET, "/admin/usage?limit=50", bearer: LiveHarness.adminKey))
            let records = try #require(try JSONTestObject.parse(usage.body)?["data"] as? [[String: Any]])
            let doorNames = ["/v1/chat/completions": "chat", "/v1/messages": "messages", "/v1/responses": "responses"]
            let admitted = statuses.filter { $0.1 == 200 }.map { doorNames[$0.0]! }.sorted()
            #expect(
                records.filter { $0["status"] as? Int == 200 }.compactMap { $0["door"] as? String }.sorted() == admitted,
                "each record names its door")
        }
    }

    @Test func aKeysOwnQuotaOverridesItsUsersTier() async throws {
        try await LiveHarness.run(configure: { $0.quota.tiers["pro"] = QuotaTier(monthlyRequests: 100) }) { harness in
            let created = try await harness.send(
                harness.request(
                    .POST, "/admin/keys", json: #"{"name":"k","user":"tester","monthly_requests":1}"#, bearer: LiveHarness.adminKey)
            )
            let key = try #require(try JSONTestObject.parse(created.body)?["key"] as? String)
            #expect(try await harness.send(harness.chatRequest(LiveHarness.body(), headers: [("x-api-key", key)])).status == 200)
            #expect(try await harness.send(harness.chatRequest(LiveHarness.body(), headers: [("x-api-key", key)])).status == 402)
            let asUser = try await harness.send(harness.chatRequest(LiveHarness.body()))
            #expect(asUser.status == 200, "the user's own quota is separate")
            let quota = try await self.quota(harness, bearer: key)
            #expect(quota["subject"] as? String == "key")
        }
    }

    @Test func countsSurviveAGracefulRestartExactly() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("quota-\(UUID()).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let configure: @Sendable (inout GatewayConfig) -> Void = { config in
            config.storage.url = "sqlite:" + path
            config.quota.tiers["pro"] = QuotaTier(monthlyRequests: 1000)
            // Neither the request count nor the timer flushes during the test: only shutdown does.
            config.quota.flushEveryRequests = 1000
            config.quota.flushIntervalSeconds = 3600
        }
        try await LiveHarness.run(configure: configure) { harness in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<7 {
                    group.addTask {
                        let response = try await harness.send(harness.chatRequest(LiveHarness.body()))
                        #expect(response.status == 200)
                    }
                }
                try await group.waitForAll()
            }
        }
        try await LiveHarness.run(configure: configure) { harness in
            let quota = try await self.quota(harness)
            #expect((quota["used"] as? [String: Any])?["requests"] as? Int == 7)
        }
    }
}
