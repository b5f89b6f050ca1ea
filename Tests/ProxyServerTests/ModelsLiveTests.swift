import AsyncHTTPClient
import Foundation
import NIOHTTP1
import ProxyEngine
import Testing

@testable import ProxyServer

/// `GET /v1/models[/{model}]` and `/v1beta/models[/{model}]`: OpenAI's shape, or Gemini's on the
/// Gemini door and for a caller presenting Google's credential.
@Suite(.timeLimit(.minutes(5))) struct ModelsLiveTests {
    static func get(_ harness: LiveHarness, _ path: String, header: (String, String)?) async throws -> (Int, JSONValue?) {
        var request = HTTPClientRequest(url: harness.baseURL + path)
        if let header { request.headers.add(name: header.0, value: header.1) }
        let response = try await harness.send(request)
        return (response.status, JSONValue(parsing: response.body))
    }

    @Test(
        arguments: [
            ("/v1/models", ("authorization", "Bearer \(LiveHarness.token())"), false),
            ("/v1/models", ("x-goog-api-key", LiveHarness.token()), true),
            ("/v1/models?key=\(LiveHarness.token())", nil, true),
            ("/v1beta/models", ("authorization", "Bearer \(LiveHarness.token())"), true),
        ] as [(String, (String, String)?, Bool)])
    func theListIsInTheShapeItsCallerReads(path: String, header: (String, String)?, gemini: Bool) async throws {
        try await LiveHarness.run(configure: GeminiLiveTests.withGemini) { harness in
            let (status, body) = try await Self.get(harness, path, header: header)
            #expect(status == 200)
            if gemini {
                let names = body?["models"]?.arrayValue?.compactMap { $0["name"]?.stringValue }
                #expect(names == ["models/gpt-4o", "models/gemini-fast"])
                #expect(
                    body?["models"]?.arrayValue?.first?["supportedGenerationMethods"]?.arrayValue?.contains(.string("generateContent"))
                        == true)
            } else {
                #expect(body?["data"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == ["gpt-4o", "gemini-fast"])
                // Anthropic's paging fields beside OpenAI's list.
                #expect(body?["has_more"] == .bool(false) && body?["last_id"] == .string("gemini-fast"))
                #expect(body?["data"]?.arrayValue?.first?["display_name"] == .string("gpt-4o"))
            }
        }
    }

    @Test func oneModelIsFoundByNameOrPatternAndAnUnknownOneIsA404InTheCallersShape() async throws {
        try await LiveHarness.run(configure: GeminiLiveTests.withGemini) { harness in
            let bearer = ("authorization", "Bearer \(LiveHarness.token())")
            let (status, model) = try await Self.get(harness, "/v1/models/gemini-2.5-pro", header: bearer)
            #expect(status == 200)
            #expect(model?["id"] == .string("gemini-2.5-pro") && model?["owned_by"] == .string("gemini-upstream"))
            let (geminiStatus, geminiModel) = try await Self.get(harness, "/v1beta/models/gemini-fast", header: bearer)
            #expect(geminiStatus == 200 && geminiModel?["name"] == .string("models/gemini-fast"))
            let (missing, error) = try await Self.get(harness, "/v1beta/models/llama-3", header: bearer)
            #expect(missing == 404 && error?["error"]?["status"] == .string("NOT_FOUND"))
            let (openAIMissing, openAIError) = try await Self.get(harness, "/v1/models/llama-3", header: bearer)
            #expect(openAIMissing == 404 && openAIError?["error"]?["code"] == .string("model_not_found"))
            let (unauthorized, _) = try await Self.get(harness, "/v1beta/models/gemini-fast", header: nil)
            #expect(unauthorized == 401)
        }
    }
}
