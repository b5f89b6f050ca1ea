import AsyncHTTPClient
import Foundation
import Logging
import MockUpstream
import NIOCore
import NIOHTTP1
import ProxyEngine
import Testing

@testable import ProxyServer

@Suite(.timeLimit(.minutes(5))) struct UsageLiveTests {
    /// The same streamed request straight to the mock, as bytes.
    func direct(_ harness: LiveHarness, body: String) async throws -> String {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(harness.mockPort)/v1/chat/completions")
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        request.headers.add(name: "x-mock-created", value: "1700000000")
        request.body = .bytes(ByteBuffer(string: body))
        return try await harness.send(request).body
    }

    func flush(_ harness: LiveHarness) async {
        let gateway = harness.gateway
        await QuotaFlusher(
            quota: gateway.quota, usageLog: gateway.usageLog, store: gateway.store, interval: .seconds(3600), logger: .init(label: "t")
        ).flush()
    }

    func usage(_ harness: LiveHarness, _ query: String = "") async throws -> [String: Any] {
        let response = try await harness.send(harness.request(.GET, "/admin/usage" + query, bearer: LiveHarness.adminKey))
        #expect(response.status == 200)
        return try #require(try JSONTestObject.parse(response.body))
    }

    /// One definition of usage: a prompt Anthropic served from its cache counts the same on
    /// pass-through (Anthropic's `input_tokens` leaves the cache out) as translated (OpenAI's
    /// `prompt_tokens` has it in), and its record tells the cached parts apart.
    @Test(arguments: [false, true])
    func aCachedAnthropicPromptCountsTheSameOnPassThroughAndTranslated(stream: Bool) async throws {
        try await LiveHarness.run(configure: SecretLeakLiveTests.withAnthropic) { harness in
            let cached = [("x-mock-prompt-tokens", "5"), ("x-mock-cache-read", "1000"), ("x-mock-cache-write", "20")]
            let messages = #"{"model":"claude-x","max_tokens":64,"stream":\#(stream),"messages":[{"role":"user","content":"hi"}]}"#
            let passedThrough = try await harness.send(harness.chatRequest(messages, path: "/v1/messages", headers: cached))
            let chat = #"{"model":"claude-x","stream":\#(stream),"messages":[{"role":"user","content":"hi"}]}"#
            let translated = try await harness.send(harness.chatRequest(chat, headers: cached))
            #expect(passedThrough.status == 200 && translated.status == 200)
            if !stream {
                #expect(translated.body.contains(#""prompt_tokens":1025"#), "\(translated.body)")
                #expect(translated.body.contains(#""cached_tokens":1000"#))
            }
            await self.flush(harness)
            let report = try await self.usage(harness)
            let records = try #require(report["data"] as? [[String: Any]])
            #expect(records.count == 2)
            for record in records {
                #expect(record["prompt_tokens"] as? Int == 1025, "\(record)")
                #expect(record["cache_read_tokens"] as? Int == 1000)
                #expect(record["cache_write_tokens"] as? Int == 20)
                #expect(record["estimated"] as? Bool == false)
            }
            let totals = try #require(report["totals"] as? [String: Any])
            #expect(totals["prompt_tokens"] as? Int == 2050)
            #expect(totals["cache_read_tokens"] as? Int == 2000)
        }
    }

    @Test func aStreamIsByteIdenticalWhetherOrNotTheGatewayAskedForUsage() async throws {
        try await LiveHarness.run { harness in
            let body = LiveHarness.body(stream: true)
            let proxied = try await harness.send(harness.chatRequest(body, headers: [("x-mock-created", "1700000000")]))
            #expect(harness.mock.stats.snapshot.lastBody?.contains(#""stream_options":{"include_usage":true}"#) == true)
            let direct = try await self.direct(harness, body: body)
            #expect(proxied.body == direct)
            #expect(!proxied.body.contains("usage"))
            await self.flush(harness)
            let records = try #require(try await self.usage(harness)["data"] as? [[String: Any]])
            #expect(records.first?["completion_tokens"] as? Int == 8)
            #expect(records.first?["estimated"] as? Bool == false)
        }
    }

    @Test func aClientThatAskedForUsageGetsItUntouched() async throws {
        try await LiveHarness.run { harness in
            let body =
                #"{"model":"gpt-4o-mini","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}"#
            let proxied = try await harness.send(harness.chatRequest(body, headers: [("x-mock-created", "1700000000")]))
            let direct = try await self.direct(harness, body: body)
            #expect(proxied.body == direct)
            #expect(proxied.body.contains(#""usage":{"prompt_tokens""#))
        }
    }

    @Test func usageRecordsAreWrittenInBatchesAndFilterable() async throws {
        let configure: @Sendable (inout GatewayConfig) -> Void = { config in
            config.auth.users.append(AuthUser(username: "other", password: "other-password", tier: "pro"))
            // Only this test's own flush writes: the background one (every 5 s) once ran while
            // the five requests were still under way on a loaded machine.
            config.quota.flushIntervalSeconds = 3600
        }
        try await LiveHarness.run(configure: configure) { harness in
            for _ in 0..<3 { _ = try await harness.send(harness.chatRequest(LiveHarness.body())) }
            _ = try await harness.send(
                harness.chatRequest(
                    LiveHarness.body(model: "gpt-4o"), headers: [("authorization", "Bearer \(LiveHarness.token(user: "other"))")]))
            // A stream that did not ask for usage and could not be given it: estimated.
            let noUsage =
                #"{"model":"gpt-4o-mini","stream":true,"stream_options":{"include_usage":false},"messages":[{"role":"user","content":"hi"}]}"#
            _ = try await harness.send(harness.chatRequest(noUsage))
            let unflushed = try await self.usage(harness)
            #expect((unflushed["totals"] as? [String: Any])?["requests"] as? Int == 0, "nothing is written on the request path")
            await self.flush(harness)
            let all = try #require(try await self.usage(harness)["totals"] as? [String: Any])
            #expect(all["requests"] as? Int == 5)
            #expect(all["estimated_requests"] as? Int == 1)
            let tester = try await self.usage(harness, "?user=tester")
            #expect((tester["totals"] as? [String: Any])?["requests"] as? Int == 4)
            let other = try #require(try await self.usage(harness, "?user=other&model=gpt-4o")["data"] as? [[String: Any]])
            #expect(other.count == 1)
            #expect(other.first?["provider"] as? String == "mock-upstream")
            #expect(other.first?["account"] as? String == "acct-1")
            #expect(other.first?["status"] as? Int == 200)
            #expect(other.first?["ttfb_ms"] as? Double != nil)
            let future = try await self.usage(harness, "?since=\(Int(Date().timeIntervalSince1970) + 3600)")
            #expect((future["totals"] as? [String: Any])?["requests"] as? Int == 0)
            let anonymous = try await harness.send(harness.request(.GET, "/admin/usage"))
            #expect(anonymous.status == 401)
        }
    }
}
