import AsyncHTTPClient
import Foundation
import Logging
import MockUpstream
import NIOCore
import NIOHTTP1
import ProxyEngine
import Testing

@testable import ProxyServer

/// Spend through the real HTTP surface: each request's price, budgets raced, the clamp and the cut.
@Suite(.timeLimit(.minutes(5))) struct SpendLiveTests {
    /// A price high enough that a few requests spend cents: $100 a million in, $1,000 out.
    static func expensive(_ config: inout GatewayConfig) {
        config.prices = [PriceConfig(pattern: "gpt-4o-mini", input: 100, output: 1_000)]
    }
    static let price = ModelPrice(input: 100, output: 1_000)

    func flush(_ harness: LiveHarness) async {
        let gateway = harness.gateway
        await QuotaFlusher(
            quota: gateway.quota, usageLog: gateway.usageLog, store: gateway.store, interval: .seconds(3600), logger: .init(label: "t")
        ).flush()
    }

    func json(_ harness: LiveHarness, _ path: String, bearer: String = LiveHarness.adminKey) async throws -> [String: Any] {
        let response = try await harness.send(harness.request(.GET, path, bearer: bearer))
        #expect(response.status == 200, "\(path): \(response.body)")
        return try #require(try JSONTestObject.parse(response.body))
    }

    /// A key of `tester` with its own limits (`monthly_usd`, `monthly_tokens`...), as JSON members.
    func createKey(_ harness: LiveHarness, limits: String) async throws -> (id: String, key: String) {
        let response = try await harness.send(
            harness.request(.POST, "/admin/keys", json: #"{"name":"budget","user":"tester",\#(limits)}"#, bearer: LiveHarness.adminKey))
        #expect(response.status == 201, "\(response.body)")
        let object = try #require(try JSONTestObject.parse(response.body))
        return (try #require(object["id"] as? String), try #require(object["key"] as? String))
    }

    @Test func aWholeAnswerCarriesItsPriceAndEveryViewShowsIt() async throws {
        try await LiveHarness.run(configure: Self.expensive) { harness in
            let body = #"{"model":"gpt-4o-mini","max_tokens":8,"messages":[{"role":"user","content":"hello"}]}"#
            let whole = try await harness.send(harness.chatRequest(body))
            #expect(whole.status == 200)
            let usage = try #require(try JSONTestObject.parse(whole.body)?["usage"] as? [String: Any])
            let expected = Self.price.cost(
                of: TokenUsage(promptTokens: usage["prompt_tokens"] as! Int, completionTokens: usage["completion_tokens"] as! Int))
            #expect(expected > 0)
            #expect(whole.headers.first(name: "x-gateway-cost-usd") == Microdollars.dollars(expected))
            // A stream has no header to carry it: its record does.
            let stream = try await harness.send(harness.chatRequest(LiveHarness.body(stream: true)))
            #expect(stream.status == 200 && stream.headers.first(name: "x-gateway-cost-usd") == nil)
            await self.flush(harness)
            let report = try await self.json(harness, "/admin/usage")
            let totals = try #require(report["totals"] as? [String: Any])
            let records = try #require(report["data"] as? [[String: Any]])
            let costs = records.compactMap { $0["cost_microdollars"] as? Int }
            #expect(costs.count == 2 && costs.contains(expected) && costs.allSatisfy { $0 > 0 })
            #expect(totals["cost_microdollars"] as? Int == costs.reduce(0, +))
            let quota = try await self.json(harness, "/auth/quota", bearer: LiveHarness.token())
            #expect((quota["used"] as? [String: Any])?["usd"] as? Double == Double(costs.reduce(0, +)) / 1e6)
            let series = try await self.json(harness, "/admin/usage/series?bucket=hour")
            let buckets = try #require(series["data"] as? [[String: Any]])
            #expect(buckets.compactMap { $0["cost_usd"] as? Double }.reduce(0, +) == Double(costs.reduce(0, +)) / 1e6)
            let spend = try await self.json(harness, "/admin/spend")
            #expect((spend["models"] as? [[String: Any]])?.first?["name"] as? String == "gpt-4o-mini")
            let metrics = try await harness.send(HTTPClientRequest(url: harness.baseURL + "/metrics")).body
            #expect(metrics.contains(#"proxy_spend_usd_total{provider="mock-upstream",model="gpt-*"}"#), "\(metrics)")
        }
    }

    @Test func aModelWithNoPriceIsServedCountedAndShownUnpriced() async throws {
        try await LiveHarness.run(configure: { $0.providers[0].models = ["gpt-*", "acme-*"] }) { harness in
            let response = try await harness.send(harness.chatRequest(LiveHarness.body(model: "acme-1")))
            #expect(response.status == 200 && response.headers.first(name: "x-gateway-cost-usd") == nil)
            await self.flush(harness)
            let record = try #require((try await self.json(harness, "/admin/usage")["data"] as? [[String: Any]])?.first)
            #expect(record["priced"] as? Bool == false && record["cost_microdollars"] as? Int == 0)
            let metrics = try await harness.send(HTTPClientRequest(url: harness.baseURL + "/metrics")).body
            #expect(metrics.contains(#"proxy_unpriced_requests_total{model="acme-*"} 1"#), "\(metrics)")
        }
    }

    /// 50 requests at once, whole and streamed, on a key with a budget of five cents: what is
    /// charged never passes it, each admitted request is answered whole, each other is a 402
    /// `budget_exceeded`.
    @Test func concurrentRequestsNeverSpendPastAKeysBudget() async throws {
        try await LiveHarness.run(configure: Self.expensive) { harness in
            let (_, key) = try await self.createKey(harness, limits: #""monthly_usd":0.05"#)
            let results = try await withThrowingTaskGroup(of: (Int, Bool).self, returning: [(Int, Bool)].self) { group in
                for index in 0..<50 {
                    group.addTask {
                        let stream = index % 2 == 0
                        // Half name a limit, half name none (the gateway clamps those).
                        let limit = index % 4 < 2 ? #""max_tokens":8,"# : ""
                        let body = #"{"model":"gpt-4o-mini",\#(limit)"stream":\#(stream),"messages":[{"role":"user","content":"hi"}]}"#
                        let response = try await harness.send(harness.chatRequest(body, headers: [("authorization", "Bearer \(key)")]))
                        if response.status == 402 {
                            #expect(response.body.contains(#""code":"budget_exceeded""#), "\(response.body)")
                            return (402, true)
                        }
                        let text = stream ? try OpenAIStreamTranscript(response.body).text : response.body
                        return (response.status, text.contains("tok0") && (!stream || response.body.contains("[DONE]")))
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(results.allSatisfy { $0.0 == 200 || $0.0 == 402 }, "\(results)")
            #expect(results.allSatisfy { $0.1 }, "an admitted request was not answered whole")
            #expect(results.contains { $0.0 == 200 } && results.contains { $0.0 == 402 })
            await self.flush(harness)
            let totals = try #require(try await self.json(harness, "/admin/usage")["totals"] as? [String: Any])
            let charged = try #require(totals["cost_microdollars"] as? Int)
            #expect(charged > 0 && charged <= 50_000, "charged \(charged) µ$ of a 50,000 µ$ budget")
            #expect(totals["requests"] as? Int == results.filter { $0.0 == 200 }.count + 0)
        }
    }

    /// The same race on a token quota.
    @Test func concurrentRequestsNeverSpendPastAKeysTokenQuota() async throws {
        try await LiveHarness.run { harness in
            let (_, key) = try await self.createKey(harness, limits: #""monthly_tokens":300"#)
            let statuses = try await withThrowingTaskGroup(of: Int.self, returning: [Int].self) { group in
                for _ in 0..<50 {
                    group.addTask {
                        let body = #"{"model":"gpt-4o-mini","max_tokens":20,"messages":[{"role":"user","content":"hi"}]}"#
                        return try await harness.send(harness.chatRequest(body, headers: [("authorization", "Bearer \(key)")])).status
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.allSatisfy { $0 == 200 || $0 == 402 })
            await self.flush(harness)
            let totals = try #require(try await self.json(harness, "/admin/usage")["totals"] as? [String: Any])
            let tokens = (totals["prompt_tokens"] as? Int ?? 0) + (totals["completion_tokens"] as? Int ?? 0)
            #expect(tokens > 0 && tokens <= 300, "\(tokens) tokens of a 300-token quota")
        }
    }

    /// Near the budget's end, a request that names no limit goes upstream with the one the
    /// budget pays for, and says so.
    @Test func aRequestNearTheBudgetsEndReachesTheUpstreamClamped() async throws {
        try await LiveHarness.run(configure: Self.expensive) { harness in
            // $0.03: 17 prompt tokens cost $0.0017, leaving $0.0283 for 28 output tokens at $0.001 each.
            let (_, key) = try await self.createKey(harness, limits: #""monthly_usd":0.03"#)
            let body = #"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}"#
            let response = try await harness.send(harness.chatRequest(body, headers: [("authorization", "Bearer \(key)")]))
            #expect(response.status == 200)
            let clamped = try #require(response.headers.first(name: "x-gateway-max-tokens").flatMap { Int($0) })
            let prompt = QuotaReservation.Demand.promptTokens(ofBodyBytes: body.utf8.count)
            #expect(clamped == Self.price.affordableOutput(microdollars: 30_000, promptTokens: prompt))
            let upstream = try #require(harness.mock.stats.snapshot.lastBody)
            #expect(upstream.contains(#""max_tokens":\#(clamped)"#), "\(upstream)")
            // Each next request is clamped to less, until what is left cannot pay for a minimal
            // answer: that one is refused before anything is sent.
            var refused = false
            for _ in 0..<10 where !refused {
                let sent = harness.mock.stats.snapshot.requests
                let next = try await harness.send(harness.chatRequest(body, headers: [("authorization", "Bearer \(key)")]))
                if next.status == 402 {
                    #expect(next.body.contains("budget_exceeded"))
                    #expect(harness.mock.stats.snapshot.requests == sent)
                    refused = true
                } else {
                    #expect(next.status == 200 && next.headers.first(name: "x-gateway-max-tokens") != nil)
                }
            }
            #expect(refused)
        }
    }

    /// An upstream that ignores `max_tokens` streams past the reservation: the client gets a
    /// well-formed stream ending in the error event, in each of the three formats, and the
    /// record shows what was charged.
    @Test(arguments: ["/v1/chat/completions", "/v1/messages", "/v1/responses"])
    func aStreamPastItsReservationIsCutCleanly(path: String) async throws {
        try await LiveHarness.run(configure: Self.expensive) { harness in
            let (_, key) = try await self.createKey(harness, limits: #""monthly_usd":1"#)
            let body =
                switch path {
                case "/v1/responses": #"{"model":"gpt-4o-mini","stream":true,"max_output_tokens":20,"input":"hi"}"#
                default: #"{"model":"gpt-4o-mini","stream":true,"max_tokens":20,"messages":[{"role":"user","content":"hi"}]}"#
                }
            let headers = [("authorization", "Bearer \(key)"), ("x-mock-ignore-max-tokens", "1"), ("x-mock-chunks", "2000")]
            let response = try await harness.send(harness.chatRequest(body, path: path, headers: headers))
            #expect(response.status == 200)
            let stream = response.body
            #expect(stream.contains("budget_exceeded"), "\(stream.suffix(400))")
            #expect(!stream.contains("tok1999"))
            switch path {
            case "/v1/chat/completions":
                #expect(stream.hasSuffix(#""code":"budget_exceeded"}}"# + "\n\n"))
            case "/v1/messages":
                // The translated stream ends as Anthropic's does on an error: an `error` event last.
                let last = try #require(stream.components(separatedBy: "\n\n").last(where: { !$0.isEmpty }))
                #expect(last.hasPrefix("event: error"), "\(last)")
            default:
                let last = try #require(stream.components(separatedBy: "\n\n").last(where: { !$0.isEmpty }))
                #expect(last.hasPrefix("event: response.failed"), "\(last)")
            }
            await self.flush(harness)
            let record = try #require((try await self.json(harness, "/admin/usage")["data"] as? [[String: Any]])?.first)
            #expect(record["status"] as? Int == 402)
            let completion = try #require(record["completion_tokens"] as? Int)
            #expect(completion > 20 && completion < 2000, "\(record)")
            let cost = try #require(record["cost_microdollars"] as? Int)
            #expect(cost > 0 && cost <= Self.price.cost(promptTokens: record["prompt_tokens"] as? Int ?? 0, outputTokens: 20) + 1_000_000)
        }
    }

    @Test func aKeysBudgetIsSetAndChangedThroughTheAdminAPI() async throws {
        try await LiveHarness.run { harness in
            let (id, _) = try await self.createKey(harness, limits: #""monthly_usd":2.5"#)
            let listed = try await self.json(harness, "/admin/keys")
            let key = try #require((listed["data"] as? [[String: Any]])?.first { $0["id"] as? String == id })
            #expect(key["monthly_usd"] as? Double == 2.5)
            let patched = try await harness.send(
                harness.request(.PATCH, "/admin/keys/\(id)", json: #"{"monthly_usd":0.75}"#, bearer: LiveHarness.adminKey))
            #expect(patched.status == 200 && patched.body.contains(#""monthly_usd":0.750000"#), "\(patched.body)")
            let refused = try await harness.send(
                harness.request(.POST, "/admin/keys", json: #"{"name":"k","user":"tester","monthly_usd":-1}"#, bearer: LiveHarness.adminKey)
            )
            #expect(refused.status == 400)
        }
    }
}
