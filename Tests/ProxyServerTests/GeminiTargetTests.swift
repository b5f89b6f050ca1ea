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
    }

    @Test(arguments: ["gemini-2.5-flash", ":generateContent", "m:embedContent", "m:", ""])
    func aSegmentWithoutAModelOrAKnownMethodIsRefused(segment: String) {
        #expect(throws: GatewayError.self) { try GeminiTarget.method(segment) }
    }
}
