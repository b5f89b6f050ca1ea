import ProxyEngine
import Testing

@testable import ProxyServer

@Suite(.timeLimit(.minutes(5))) struct GeminiTargetTests {
    @Test func theLastColonSplitsTheModelFromTheMethod() throws {
        #expect(
            try GeminiTarget.method("gemini-2.5-flash:generateContent")
                == .completion(GeminiTarget(model: "gemini-2.5-flash", stream: false)))
        #expect(try GeminiTarget.method("a:b:streamGenerateContent") == .completion(GeminiTarget(model: "a:b", stream: true)))
        #expect(try GeminiTarget.method("m:countTokens") == .countTokens(model: "m"))
        #expect(try GeminiTarget.method("text-embedding-004:embedContent") == .embed(model: "text-embedding-004", .single))
        #expect(try GeminiTarget.method("e:batchEmbedContents") == .embed(model: "e", .batch))
    }

    @Test(arguments: ["gemini-2.5-flash", ":generateContent", "m:embedContents", "m:predict", "m:", ""])
    func aSegmentWithoutAModelOrAKnownMethodIsRefused(segment: String) {
        #expect(throws: GatewayError.self) { try GeminiTarget.method(segment) }
    }
}
