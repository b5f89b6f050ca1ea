import AsyncHTTPClient
import Foundation
import MockUpstream
import NIOCore
import NIOHTTP1
import ProxyEngine
import Testing

@testable import ProxyServer

/// Gemini both ways through the real HTTP surface: a `gemini` provider (the mock speaking
/// Gemini under `/v1beta`) for Chat and Messages clients, and the Gemini door
/// (`/v1beta/models/{model}:{method}`, `/v1/models/...`) on `openai` and `gemini` providers.
@Suite(.timeLimit(.minutes(5))) struct GeminiLiveTests {
    /// The harness's config plus a `gemini` provider on the same mock, `gemini-fast` aliased.
    static func withGemini(_ config: inout GatewayConfig) {
        var provider = ProviderConfig(
            name: "gemini-upstream", kind: .gemini, baseURL: config.providers[0].baseURL + "/v1beta", models: ["gemini-*"])
        provider.aliases = ["gemini-fast": "gemini-2.5-flash"]
        provider.accounts = [AccountConfig(name: "g-1", apiKey: LiveHarness.upstreamKey)]
        provider.timeoutSeconds = 30
        provider.forwardHeaders = ["x-mock-*"]
        config.providers.append(provider)
    }

    static let tools =
        #"[{"type":"function","function":{"name":"get_weather","description":"Weather.","parameters":{"type":"object","properties":{"location":{"type":"string"}}}}}]"#

    /// A Gemini door request with `key` in `x-goog-api-key` (and no other credential).
    static func gemini(_ harness: LiveHarness, _ body: String, path: String, key: String? = LiveHarness.token()) -> HTTPClientRequest {
        var request = harness.chatRequest(body, path: path, headers: [("x-api-key", "")])
        request.headers.remove(name: "x-api-key")
        if let key { request.headers.add(name: "x-goog-api-key", value: key) }
        return request
    }

    static func value(_ text: String) throws -> JSONValue { try #require(JSONValue(parsing: text)) }

    /// `data:` payloads of an SSE body, whatever its line ends.
    static func events(_ body: String) -> [String] {
        body.replacingOccurrences(of: "\r\n", with: "\n").components(separatedBy: "\n\n").compactMap { event in
            event.split(separator: "\n").first { $0.hasPrefix("data: ") }.map { String($0.dropFirst(6)) }
        }
    }

    @Test func aChatClientOnAGeminiProviderGetsItsToolCallWithTheKeyInXGoogAPIKey() async throws {
        try await LiveHarness.run(configure: Self.withGemini) { harness in
            let body =
                #"{"model":"gemini-2.5-flash","messages":[{"role":"user","content":"Weather in Paris?"}],"tools":\#(Self.tools)}"#
            let response = try await harness.send(harness.chatRequest(body))
            #expect(response.status == 200)
            let answer = try Self.value(response.body)
            let choice = answer["choices"]?.arrayValue?.first
            #expect(choice?["finish_reason"] == .string("tool_calls"))
            let call = choice?["message"]?["tool_calls"]?.arrayValue?.first?["function"]
            #expect(call?["name"] == .string("get_weather"))
            #expect(call?["arguments"]?.stringValue.flatMap { JSONValue(parsing: $0) }?["location"] == .string("Paris"))
            #expect(answer["usage"]?["prompt_tokens"]?.intValue ?? 0 > 0)
            let seen = harness.mock.stats.snapshot
            #expect(seen.lastPath == "/v1beta/models/gemini-2.5-flash:generateContent")
            #expect(seen.lastHeaders["x-goog-api-key"] == LiveHarness.upstreamKey)
            #expect(seen.lastAuthorization == nil)
            let sent = try Self.value(seen.lastBody ?? "")
            #expect(sent["contents"]?.arrayValue?.first?["parts"] == .array([.object(["text": .string("Weather in Paris?")])]))
            #expect(sent["tools"]?.arrayValue?.first?["functionDeclarations"]?.arrayValue?.first?["name"] == .string("get_weather"))
        }
    }

    @Test func aChatClientStreamsFromAGeminiProviderWithUsage() async throws {
        try await LiveHarness.run(configure: Self.withGemini) { harness in
            let body =
                #"{"model":"gemini-fast","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Hi"}]}"#
            let response = try await harness.send(harness.chatRequest(body))
            #expect(response.status == 200)
            let events = Self.events(response.body)
            #expect(events.last == "[DONE]")
            let chunks = try events.dropLast().map(Self.value)
            let text = chunks.compactMap { $0["choices"]?.arrayValue?.first?["delta"]?["content"]?.stringValue }.joined()
            #expect(text == LiveHarness.expectedText(chunks: 8))
            #expect(chunks.contains { $0["choices"]?.arrayValue?.first?["finish_reason"] == .string("stop") })
            #expect(chunks.last?["usage"]?["completion_tokens"] == .int(8))
            #expect(harness.mock.stats.snapshot.lastPath == "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse")
        }
    }

    @Test func anAnthropicClientStreamsAToolUseFromAGeminiProvider() async throws {
        try await LiveHarness.run(configure: Self.withGemini) { harness in
            let body =
                #"{"model":"gemini-2.5-flash","max_tokens":100,"stream":true,"messages":[{"role":"user","content":"Weather?"}],"tools":[{"name":"get_weather","input_schema":{"type":"object","properties":{"location":{"type":"string"}}}}]}"#
            let response = try await harness.send(harness.chatRequest(body, path: "/v1/messages"))
            #expect(response.status == 200)
            #expect(response.body.contains("event: message_start"))
            #expect(response.body.contains(#""type":"tool_use""#))
            #expect(response.body.contains(#""stop_reason":"tool_use""#))
            #expect(response.body.hasSuffix("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"))
        }
    }

    @Test func aGeminiClientOnAnOpenAIProviderGetsAGenerateContentResponse() async throws {
        try await LiveHarness.run(configure: Self.withGemini) { harness in
            let body = #"{"contents":[{"role":"user","parts":[{"text":"Hi"}]}],"generationConfig":{"maxOutputTokens":5}}"#
            let response = try await harness.send(
                harness.chatRequest(
                    body, path: "/v1beta/models/gpt-4o-mini:generateContent"))
            #expect(response.status == 200)
            let answer = try Self.value(response.body)
            let candidate = answer["candidates"]?.arrayValue?.first
            #expect(candidate?["content"]?["parts"] == .array([.object(["text": .string(LiveHarness.expectedText(chunks: 5))])]))
            #expect(candidate?["finishReason"] == .string("STOP"))
            #expect(answer["usageMetadata"]?["candidatesTokenCount"] == .int(5))
            let sent = try Self.value(harness.mock.stats.snapshot.lastBody ?? "")
            #expect(sent["model"] == .string("gpt-4o-mini") && sent["max_tokens"] == .int(5))
        }
    }

    @Test func aGeminiClientStreamsThroughV1WithTheKeyInTheQueryString() async throws {
        try await LiveHarness.run(configure: Self.withGemini) { harness in
            let response = try await harness.send(
                Self.gemini(
                    harness, #"{"contents":[{"parts":[{"text":"Hi"}]}]}"#,
                    path: "/v1/models/gpt-4o-mini:streamGenerateContent?alt=sse&key=\(LiveHarness.token())", key: nil))
            #expect(response.status == 200)
            let events = try Self.events(response.body).map(Self.value)
            let text = events.compactMap {
                $0["candidates"]?.arrayValue?.first?["content"]?["parts"]?.arrayValue?.first?["text"]?.stringValue
            }
            #expect(text.joined() == LiveHarness.expectedText(chunks: 8))
            #expect(events.last?["candidates"]?.arrayValue?.first?["finishReason"] == .string("STOP"))
            #expect(events.last?["usageMetadata"]?["candidatesTokenCount"] == .int(8))
        }
    }

    @Test func aGeminiClientPassesThroughToAGeminiProviderUnderItsAlias() async throws {
        try await LiveHarness.run(configure: Self.withGemini) { harness in
            let body = #"{"contents":[{"role":"user","parts":[{"text":"Hi"}]}]}"#
            let response = try await harness.send(
                Self.gemini(harness, body, path: "/v1beta/models/gemini-fast:streamGenerateContent?alt=sse"))
            #expect(response.status == 200)
            #expect(harness.mock.stats.snapshot.lastPath == "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse")
            // As the upstream sent it, untouched.
            #expect(harness.mock.stats.snapshot.lastBody == body)
            let events = try Self.events(response.body).map(Self.value)
            #expect(events.last?["candidates"]?.arrayValue?.first?["finishReason"] == .string("STOP"))
            #expect(response.body.contains("\r\n\r\n"))
        }
    }

    @Test func geminiDoorErrorsAreInGooglesShape() async throws {
        try await LiveHarness.run(configure: Self.withGemini) { harness in
            let body = #"{"contents":[{"parts":[{"text":"Hi"}]}]}"#
            let unknown = try await harness.send(
                Self.gemini(harness, body, path: "/v1beta/models/nope:generateContent"))
            #expect(unknown.status == 404)
            #expect(try Self.value(unknown.body)["error"]?["status"] == .string("NOT_FOUND"))
            #expect(try Self.value(unknown.body)["error"]?["code"] == .int(404))
            let forged = try await harness.send(
                Self.gemini(harness, body, path: "/v1beta/models/gpt-4o-mini:generateContent", key: "sk-forged"))
            #expect(forged.status == 401)
            #expect(try Self.value(forged.body)["error"]?["status"] == .string("UNAUTHENTICATED"))
            let empty = try await harness.send(
                Self.gemini(harness, #"{"contents":[]}"#, path: "/v1beta/models/gpt-4o-mini:generateContent"))
            #expect(empty.status == 400)
            #expect(try Self.value(empty.body)["error"]?["status"] == .string("INVALID_ARGUMENT"))
            let method = try await harness.send(
                Self.gemini(harness, body, path: "/v1beta/models/gpt-4o-mini:explode"))
            #expect(method.status == 404)
        }
    }

    /// Hostile bodies get a clear 4xx in Google's shape, and never reach the upstream.
    @Test(arguments: [
        (String(repeating: "[", count: 20_000), 400),
        (#"{"contents":{"parts":[]}}"#, 400),
        (#"{"contents":[{"parts":[{"text":"x"}]}],"generationConfig":{"maxOutputTokens":-1}}"#, 400),
        (#"{"contents":[{"parts":[{"text":"x"}]}],"generationConfig":"hot"}"#, 400),
        (#"{"contents":[{"parts":[{"text":"\#(String(repeating: "x", count: 70_000))"}]}]}"#, 413),
    ])
    func hostileBodiesAreRefusedInGooglesShape(body: String, status: Int) async throws {
        try await LiveHarness.run(configure: Self.withGemini) { harness in
            for model in ["gpt-4o-mini", "gemini-2.5-flash"] {
                let response = try await harness.send(Self.gemini(harness, body, path: "/v1beta/models/\(model):generateContent"))
                #expect(response.status == status)
                let error = try Self.value(response.body)["error"]
                #expect(error?["code"] == .int(status))
                #expect(error?["status"] == .string("INVALID_ARGUMENT"))
            }
            #expect(harness.mock.stats.snapshot.requests == 0)
        }
    }

    @Test func aModelNameThatTriesToLeaveItsPathSegmentIsUnknown() async throws {
        try await LiveHarness.run(configure: Self.withGemini) { harness in
            let body = #"{"contents":[{"parts":[{"text":"Hi"}]}]}"#
            let response = try await harness.send(Self.gemini(harness, body, path: "/v1beta/models/..%2F..%2Fadmin:generateContent"))
            #expect(response.status == 404)
            #expect(try Self.value(response.body)["error"]?["status"] == .string("NOT_FOUND"))
            #expect(harness.mock.stats.snapshot.requests == 0)
        }
    }

    /// A `gemini` provider counts itself (the body passed through, the key its own); the others
    /// get the gateway's estimate. Neither takes quota.
    @Test(arguments: ["gemini-2.5-flash", "gemini-fast", "gpt-4o-mini"])
    func countTokensCountsOnAGeminiProviderAndEstimatesElsewhere(model: String) async throws {
        try await LiveHarness.run(configure: Self.withGemini) { harness in
            let body = #"{"contents":[{"role":"user","parts":[{"text":"\#(String(repeating: "word ", count: 100))"}]}]}"#
            let response = try await harness.send(Self.gemini(harness, body, path: "/v1beta/models/\(model):countTokens"))
            #expect(response.status == 200)
            #expect(try Self.value(response.body)["totalTokens"]?.intValue ?? 0 > 50)
            let seen = harness.mock.stats.snapshot
            if model.hasPrefix("gemini") {
                #expect(response.headers.first(name: "x-token-count") == nil)
                #expect(seen.lastPath == "/v1beta/models/gemini-2.5-flash:countTokens")
                #expect(seen.lastHeaders["x-goog-api-key"] == LiveHarness.upstreamKey)
                #expect(seen.lastBody == body)
            } else {
                #expect(response.headers.first(name: "x-token-count") == "estimate")
                #expect(seen.requests == 0)
            }
        }
    }

    static func twoGeminiAccounts(_ config: inout GatewayConfig) {
        Self.withGemini(&config)
        config.providers[1].accounts = [
            AccountConfig(name: "g-1", apiKey: "gemini-key-1"), AccountConfig(name: "g-2", apiKey: "gemini-key-2"),
        ]
        config.providers[1].strategy = .roundRobin
    }

    /// Two accounts, the first rate-limited (429 `RESOURCE_EXHAUSTED`): the request fails over to
    /// the second, and the first cools down for the `retryDelay` of the body's `RetryInfo`.
    @Test func aRateLimitedGeminiAccountCoolsDownAndTheRequestFailsOver() async throws {
        let behaviour = MockUpstreamBehaviour(faultsByKey: ["gemini-key-1": .error429])
        try await LiveHarness.run(behaviour: behaviour, configure: Self.twoGeminiAccounts) { harness in
            for _ in 0..<4 {
                let body = #"{"model":"gemini-2.5-flash","messages":[{"role":"user","content":"Hi"}]}"#
                // An hour's cooldown: it cannot end within the test, however slow the machine.
                let answer = try await harness.send(harness.chatRequest(body, headers: [("x-mock-retry-after", "3600")]))
                #expect(answer.status == 200)
            }
            let seen = harness.mock.stats.snapshot.requestsByKey
            // Round robin over two accounts reaches the first within four requests, once.
            #expect(seen["gemini-key-1"] == 1, "tried once, then out of rotation: \(seen)")
            #expect(seen["gemini-key-2"] == 4)
            let statuses = harness.gateway.providers[1].pool!.statuses()
            #expect(statuses[0].reason == "rate limited" && !statuses[0].healthy)
            // For the hour the body's `RetryInfo` asked (no `retry-after`; the default is 30 s).
            #expect((statuses[0].until ?? 0) - Date().timeIntervalSince1970 > 600)
            #expect(statuses[1].healthy)
        }
    }

    @Test func anUpstreamRateLimitInGooglesShapeReachesAChatClientAsA429() async throws {
        try await LiveHarness.run(configure: Self.withGemini) { harness in
            let body = #"{"model":"gemini-2.5-flash","messages":[{"role":"user","content":"Hi"}]}"#
            let response = try await harness.send(harness.chatRequest(body, headers: [("x-mock-fault", "429")]))
            #expect([429, 503].contains(response.status))
            #expect(try Self.value(response.body)["error"]?["message"]?.stringValue != nil)
        }
    }
}

/// The in-process `mock` kind speaks Gemini to the Gemini door (passed through: it speaks every
/// format) and serves embeddings.
@Suite(.timeLimit(.minutes(5))) struct GeminiInProcessMockLiveTests {
    static func withMock(_ config: inout GatewayConfig) {
        var mock = ProviderConfig(name: "in-process", kind: .mock, models: ["mock-*"])
        mock.mock.chunks = 3
        config.providers.append(mock)
    }

    @Test(arguments: [false, true])
    func theGeminiDoorIsAnsweredByTheMockKind(stream: Bool) async throws {
        try await LiveHarness.run(configure: Self.withMock) { harness in
            let path = "/v1beta/models/mock-1:" + (stream ? "streamGenerateContent?alt=sse" : "generateContent")
            let response = try await harness.send(GeminiLiveTests.gemini(harness, #"{"contents":[{"parts":[{"text":"Hi"}]}]}"#, path: path))
            #expect(response.status == 200)
            let answers =
                stream ? try GeminiLiveTests.events(response.body).map(GeminiLiveTests.value) : [try GeminiLiveTests.value(response.body)]
            let text = answers.compactMap {
                $0["candidates"]?.arrayValue?.first?["content"]?["parts"]?.arrayValue?.first?["text"]?.stringValue
            }
            #expect(text.joined() == LiveHarness.expectedText(chunks: 3))
            #expect(answers.last?["candidates"]?.arrayValue?.first?["finishReason"] == .string("STOP"))
        }
    }

    @Test func theMockKindServesEmbeddings() async throws {
        try await LiveHarness.run(configure: Self.withMock) { harness in
            let response = try await harness.send(harness.chatRequest(#"{"model":"mock-embed","input":"alpha"}"#, path: "/v1/embeddings"))
            #expect(response.status == 200)
            let vector = JSONValue(parsing: response.body)?["data"]?.arrayValue?.first?["embedding"]?.arrayValue?.compactMap(\.doubleValue)
            #expect(vector == MockEmbedding.vector("alpha").map(Double.init))
        }
    }
}
