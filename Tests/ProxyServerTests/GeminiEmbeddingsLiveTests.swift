import AsyncHTTPClient
import Foundation
import MockUpstream
import NIOCore
import NIOHTTP1
import ProxyEngine
import Testing

@testable import ProxyServer

/// Gemini's `:embedContent` and `:batchEmbedContents` through the real HTTP surface (what
/// google-genai's `embed_content` calls): passed through to a `gemini` provider, translated to
/// OpenAI's embeddings for an `openai` one, refused in Google's shape for an `anthropic` one.
@Suite(.timeLimit(.minutes(5))) struct GeminiEmbeddingsLiveTests {
    static func providers(_ config: inout GatewayConfig) {
        EmbeddingsLiveTests.providers(&config)
        let gemini = config.providers.firstIndex { $0.kind == .gemini }!
        config.providers[gemini].aliases["gemini-embed"] = "gemini-embedding-001"
    }

    static func values(_ embedding: JSONValue?) -> [Double]? {
        embedding?["values"]?.arrayValue?.compactMap(\.doubleValue)
    }

    @Test func aBatchToAGeminiProviderIsPassedThroughWithTheAliasResolved() async throws {
        try await LiveHarness.run(configure: Self.providers) { harness in
            let body =
                #"{"requests":[{"model":"models/gemini-embed","content":{"parts":[{"text":"alpha"}]},"embedContentConfig":{"taskType":"RETRIEVAL_DOCUMENT","outputDimensionality":4}},{"model":"models/gemini-embed","content":{"parts":[{"text":"be"},{"text":"ta"}]},"embedContentConfig":{"outputDimensionality":4}}]}"#
            let response = try await harness.send(
                GeminiLiveTests.gemini(harness, body, path: "/v1beta/models/gemini-embed:batchEmbedContents"))
            #expect(response.status == 200, "\(response.body)")
            let answer = try GeminiLiveTests.value(response.body)
            let vectors = answer["embeddings"]?.arrayValue?.map { Self.values($0) }
            #expect(vectors == ["alpha", "beta"].map { MockEmbedding.vector($0, dimensions: 4).map(Double.init) })
            #expect(Double(response.headers.first(name: "x-gateway-cost-usd") ?? "") ?? 0 > 0)
            let seen = harness.mock.stats.snapshot
            #expect(seen.lastPath == "/v1beta/models/gemini-embedding-001:batchEmbedContents")
            #expect(seen.lastHeaders["x-goog-api-key"] == LiveHarness.upstreamKey)
            let sent = try GeminiLiveTests.value(seen.lastBody ?? "")
            #expect(
                sent["requests"]?.arrayValue?.map { $0["model"] } == [
                    .string("models/gemini-embedding-001"), .string("models/gemini-embedding-001"),
                ])
            #expect(sent["requests"]?.arrayValue?.first?["embedContentConfig"]?["taskType"] == .string("RETRIEVAL_DOCUMENT"))
        }
    }

    @Test func oneContentToAGeminiProviderIsEmbedContent() async throws {
        try await LiveHarness.run(configure: Self.providers) { harness in
            let body = #"{"content":{"parts":[{"text":"alpha"}]},"outputDimensionality":3}"#
            let response = try await harness.send(
                GeminiLiveTests.gemini(harness, body, path: "/v1/models/gemini-embedding-001:embedContent"))
            #expect(response.status == 200, "\(response.body)")
            #expect(
                Self.values(try GeminiLiveTests.value(response.body)["embedding"])
                    == MockEmbedding.vector("alpha", dimensions: 3).map(Double.init))
            #expect(harness.mock.stats.snapshot.lastPath == "/v1beta/models/gemini-embedding-001:embedContent")
            #expect(harness.mock.stats.snapshot.lastBody == body)
        }
    }

    @Test(arguments: [GeminiEmbedRequest.Method.single, .batch])
    func anOpenAIProviderGetsOpenAIsRequestAndTheAnswerComesBackInGeminisShape(method: GeminiEmbedRequest.Method) async throws {
        try await LiveHarness.run(configure: Self.providers) { harness in
            let item = #"{"content":{"parts":[{"text":"alpha"}]},"embedContentConfig":{"outputDimensionality":4}}"#
            let body = method == .single ? item : #"{"requests":[\#(item),{"content":{"parts":[{"text":"beta"}]}}]}"#
            // The virtual key in `?key=`, as a Gemini client may send it.
            let response = try await harness.send(
                GeminiLiveTests.gemini(harness, body, path: "/v1beta/models/gpt-embed:\(method.name)?key=\(LiveHarness.token())", key: nil))
            #expect(response.status == 200, "\(response.body)")
            let answer = try GeminiLiveTests.value(response.body)
            let texts = method == .single ? ["alpha"] : ["alpha", "beta"]
            let expected = texts.map { MockEmbedding.vector($0, dimensions: 4).map(Double.init) }
            if method == .single {
                #expect(Self.values(answer["embedding"]) == expected[0])
            } else {
                #expect(answer["embeddings"]?.arrayValue?.map { Self.values($0) } == expected)
            }
            let seen = harness.mock.stats.snapshot
            #expect(seen.lastPath == "/v1/embeddings")
            let sent = try GeminiLiveTests.value(seen.lastBody ?? "")
            #expect(sent["model"] == .string("gpt-embed"))
            #expect(sent["input"] == .array(texts.map { .string($0) }))
            #expect(sent["dimensions"] == .int(4))
        }
    }

    @Test func aProviderThatCannotEmbedIsNamedInGooglesShape() async throws {
        try await LiveHarness.run(configure: Self.providers) { harness in
            let response = try await harness.send(
                GeminiLiveTests.gemini(
                    harness, #"{"content":{"parts":[{"text":"alpha"}]}}"#, path: "/v1beta/models/claude-x:embedContent"))
            #expect(response.status == 400)
            let error = try GeminiLiveTests.value(response.body)["error"]
            #expect(error?["status"] == .string("INVALID_ARGUMENT") && error?["code"] == .int(400))
            #expect(error?["message"]?.stringValue?.contains("claude-upstream") == true)
            #expect(harness.mock.stats.snapshot.requests == 0)
        }
    }

    @Test(arguments: [
        ("embedContent", #"{}"#), ("embedContent", #"{"content":{"parts":[{"inlineData":{"data":"AA=="}}]}}"#),
        ("embedContent", #"{"content":{"parts":[{"text":"a"}]},"outputDimensionality":-1}"#),
        ("batchEmbedContents", #"{"requests":[]}"#), ("batchEmbedContents", #"{"requests":[1]}"#),
        (
            "batchEmbedContents",
            #"{"requests":[{"content":{"parts":[{"text":"a"}]},"outputDimensionality":2},{"content":{"parts":[{"text":"b"}]},"outputDimensionality":3}]}"#
        ),
        ("embedContent", "[1]"),
    ])
    func aMalformedRequestIsA400InGooglesShape(method: String, body: String) async throws {
        try await LiveHarness.run(configure: Self.providers) { harness in
            let response = try await harness.send(GeminiLiveTests.gemini(harness, body, path: "/v1beta/models/gpt-embed:\(method)"))
            #expect(response.status == 400)
            #expect(try GeminiLiveTests.value(response.body)["error"]?["status"] == .string("INVALID_ARGUMENT"))
            #expect(harness.mock.stats.snapshot.requests == 0)
        }
    }
}
