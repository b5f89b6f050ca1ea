import AsyncHTTPClient
import Foundation
import Logging
import MockUpstream
import NIOCore
import NIOHTTP1
import ProxyEngine
import Testing

@testable import ProxyServer

/// `POST /v1/embeddings` through the real HTTP surface: passed through to an `openai` provider,
/// translated to `batchEmbedContents` for a `gemini` one, refused for an `anthropic` one.
@Suite(.timeLimit(.minutes(5))) struct EmbeddingsLiveTests {
    static func providers(_ config: inout GatewayConfig) {
        GeminiLiveTests.withGemini(&config)
        var anthropic = ProviderConfig(
            name: "claude-upstream", kind: .anthropic, baseURL: config.providers[0].baseURL, models: ["claude-*"])
        anthropic.accounts = [AccountConfig(name: "c-1", apiKey: LiveHarness.upstreamKey)]
        config.providers.append(anthropic)
    }

    /// What Gemini cannot embed as asked is refused, naming the provider, before anything is
    /// sent: token arrays (it would embed their digits as text).
    @Test(arguments: [#"{"model":"gemini-embedding-001","input":[[1,2,3]]}"#, #"{"model":"gemini-embedding-001","input":[1,2,3]}"#])
    func whatAGeminiProviderCannotEmbedIsRefused(body: String) async throws {
        try await LiveHarness.run(configure: Self.providers) { harness in
            let response = try await harness.send(harness.chatRequest(body, path: "/v1/embeddings"))
            #expect(response.status == 400)
            #expect(response.body.contains("kind gemini"), "\(response.body)")
            #expect(harness.mock.stats.snapshot.requests == 0)
        }
    }

    @Test func anOpenAIProviderGetsTheRequestAsSent() async throws {
        try await LiveHarness.run(configure: Self.providers) { harness in
            let body = #"{"model":"gpt-embed","input":["alpha","beta"]}"#
            let response = try await harness.send(harness.chatRequest(body, path: "/v1/embeddings"))
            #expect(response.status == 200)
            let answer = try #require(JSONValue(parsing: response.body))
            let vectors = answer["data"]?.arrayValue?.map { $0["embedding"]?.arrayValue?.compactMap(\.doubleValue) ?? [] }
            #expect(vectors == ["alpha", "beta"].map { MockEmbedding.vector($0).map(Double.init) })
            #expect(answer["usage"]?["prompt_tokens"]?.intValue ?? 0 > 0)
            #expect(harness.mock.stats.snapshot.lastPath == "/v1/embeddings")
            #expect(harness.mock.stats.snapshot.lastBody == body)
        }
    }

    @Test(arguments: [false, true])
    func aGeminiProviderGetsBatchEmbedContents(base64: Bool) async throws {
        try await LiveHarness.run(configure: Self.providers) { harness in
            let format = base64 ? #","encoding_format":"base64""# : ""
            let body = #"{"model":"gemini-embedding-001","input":["alpha","beta"],"dimensions":4\#(format)}"#
            let response = try await harness.send(harness.chatRequest(body, path: "/v1/embeddings"))
            #expect(response.status == 200)
            let answer = try #require(JSONValue(parsing: response.body))
            let expected = ["alpha", "beta"].map { MockEmbedding.vector($0, dimensions: 4) }
            let data = try #require(answer["data"]?.arrayValue)
            #expect(data.map { $0["index"] } == [.int(0), .int(1)])
            if base64 {
                #expect(data.map { $0["embedding"]?.stringValue } == expected.map { EmbeddingEncoding.base64($0) })
            } else {
                #expect(data.map { $0["embedding"]?.arrayValue?.compactMap(\.doubleValue) } == expected.map { $0.map(Double.init) })
            }
            #expect(answer["model"] == .string("gemini-embedding-001"))
            // Priced by the built-in row (input only): the estimate's cost, above nothing.
            #expect(Double(response.headers.first(name: "x-gateway-cost-usd") ?? "") ?? 0 > 0)
            let seen = harness.mock.stats.snapshot
            #expect(seen.lastPath == "/v1beta/models/gemini-embedding-001:batchEmbedContents")
            #expect(seen.lastHeaders["x-goog-api-key"] == LiveHarness.upstreamKey)
            let sent = try #require(JSONValue(parsing: seen.lastBody ?? ""))
            #expect(
                sent["requests"]?.arrayValue?.first
                    == JSONValue(
                        parsing: #"{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"alpha"}]},"outputDimensionality":4}"#
                    ))
        }
    }

    /// Gemini takes 100 requests a call: 201 inputs are three calls, answered as one list.
    @Test func moreInputsThanAGeminiBatchTakesAreSentInSeveralCalls() async throws {
        try await LiveHarness.run(configure: Self.providers) { harness in
            let texts = (0..<201).map { "text \($0)" }
            let input = texts.map { "\"\($0)\"" }.joined(separator: ",")
            let response = try await harness.send(
                harness.chatRequest(#"{"model":"gemini-embedding-001","input":[\#(input)],"dimensions":2}"#, path: "/v1/embeddings"))
            #expect(response.status == 200)
            let data = try #require(JSONValue(parsing: response.body)?["data"]?.arrayValue)
            #expect(data.map { $0["index"]?.intValue } == (0..<201).map { $0 })
            #expect(
                data.map { $0["embedding"]?.arrayValue?.compactMap(\.doubleValue) }
                    == texts.map { MockEmbedding.vector($0, dimensions: 2).map(Double.init) })
            let seen = harness.mock.stats.snapshot
            #expect(seen.requests == 3)
            #expect(JSONValue(parsing: seen.lastBody ?? "")?["requests"]?.arrayValue?.count == 1)
        }
    }

    /// A later call refused: the refusal is the answer, and what the calls before it embedded is
    /// charged (the request had reached the provider).
    @Test func aRefusedLaterCallIsTheAnswerAndTheEarlierOnesAreCharged() async throws {
        try await LiveHarness.run(configure: Self.providers) { harness in
            var texts = (0..<150).map { "text \($0)" }
            texts[120] = MockEmbedding.refusedText
            let input = texts.map { "\"\($0)\"" }.joined(separator: ",")
            let response = try await harness.send(
                harness.chatRequest(#"{"model":"gemini-embedding-001","input":[\#(input)]}"#, path: "/v1/embeddings"))
            #expect(response.status == 400)
            #expect(JSONValue(parsing: response.body)?["error"]?["message"]?.stringValue?.contains("mock refuses") == true)
            #expect(harness.mock.stats.snapshot.requests == 2)
            let gateway = harness.gateway
            await QuotaFlusher(
                quota: gateway.quota, usageLog: gateway.usageLog, store: gateway.store, interval: .seconds(3600), logger: .init(label: "t")
            ).flush()
            let report = try await harness.send(harness.request(.GET, "/admin/usage", bearer: LiveHarness.adminKey))
            let record = try #require(JSONValue(parsing: report.body)?["data"]?.arrayValue?.first)
            let firstBatch = EmbeddingsRequest.estimate(texts[0..<100])
            #expect(record["prompt_tokens"] == .int(firstBatch), "\(record)")
            #expect(record["status"] == .int(400))
        }
    }

    @Test func aProviderThatCannotEmbedIsNamedInA400() async throws {
        try await LiveHarness.run(configure: Self.providers) { harness in
            let response = try await harness.send(
                harness.chatRequest(#"{"model":"claude-x","input":"alpha"}"#, path: "/v1/embeddings"))
            #expect(response.status == 400)
            let message = JSONValue(parsing: response.body)?["error"]?["message"]?.stringValue ?? ""
            #expect(message.contains("claude-upstream") && message.contains("anthropic"))
            #expect(harness.mock.stats.snapshot.requests == 0)
        }
    }

    @Test(arguments: [
        #"{"model":"gpt-embed"}"#, #"{"model":"gpt-embed","input":[]}"#, #"{"model":"gpt-embed","input":[{"a":1}]}"#, #"{"input":"x"}"#,
        "[1]",
    ])
    func aMalformedRequestIsA400InOpenAIsShape(body: String) async throws {
        try await LiveHarness.run(configure: Self.providers) { harness in
            let response = try await harness.send(harness.chatRequest(body, path: "/v1/embeddings"))
            #expect(response.status == 400)
            #expect(JSONValue(parsing: response.body)?["error"]?["type"] == .string("invalid_request_error"))
            #expect(harness.mock.stats.snapshot.requests == 0)
        }
    }
}
