import NIOCore
import Testing

@testable import ProxyEngine

@Suite(.timeLimit(.minutes(1))) struct TokenUsageTests {
    @Test(arguments: [
        (
            #"{"id":"x","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":3,"total_tokens":12}}"#,
            TokenUsage(promptTokens: 9, completionTokens: 3)
        ),
        (
            #"{"usage" : { "input_tokens": 5, "output_tokens": 7, "cache_read_input_tokens": 2 }, "type":"message"}"#,
            TokenUsage(promptTokens: 5, completionTokens: 7)
        ),
        (
            "data: {\"choices\":[],\"usage\":null}\n\ndata: {\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2}}\n\n",
            TokenUsage(promptTokens: 1, completionTokens: 2)
        ),
        (
            #"{"content":"the word \"usage\": {} inside text","usage":{"prompt_tokens":4,"completion_tokens":6}}"#,
            TokenUsage(promptTokens: 4, completionTokens: 6)
        ),
    ])
    func findsTheLastReportedUsage(body: String, expected: TokenUsage) {
        #expect(TokenUsage.lastReported(in: ByteBuffer(string: body)) == expected)
    }

    @Test(arguments: [#"{"choices":[]}"#, "data: {\"usage\":null}\n\n", #"{"usage":{"other":1}}"#, ""])
    func nothingReportedIsNil(body: String) {
        #expect(TokenUsage.lastReported(in: ByteBuffer(string: body)) == nil)
    }
}
