import NIOCore
import Testing

@testable import ProxyEngine

@Suite(.timeLimit(.minutes(5))) struct TokenUsageTests {
    @Test(arguments: [
        (
            #"{"id":"x","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":3,"total_tokens":12}}"#,
            TokenUsage(promptTokens: 9, completionTokens: 3)
        ),
        // Anthropic: `input_tokens` leaves out its cache's tokens; the prompt is all three.
        (
            #"{"usage" : { "input_tokens": 5, "output_tokens": 7, "cache_read_input_tokens": 2, "cache_creation_input_tokens": 3 }, "type":"message"}"#,
            TokenUsage(promptTokens: 10, completionTokens: 7, cacheReadTokens: 2, cacheWriteTokens: 3)
        ),
        // Chat Completions: `prompt_tokens` has its cached part in, as the Responses API's `input_tokens` does.
        (
            #"{"usage":{"prompt_tokens":100,"completion_tokens":40,"prompt_tokens_details":{"cached_tokens":64},"completion_tokens_details":{"reasoning_tokens":30}}}"#,
            TokenUsage(promptTokens: 100, completionTokens: 40, cacheReadTokens: 64, reasoningTokens: 30)
        ),
        (
            #"{"usage":{"input_tokens":100,"input_tokens_details":{"cached_tokens":64},"output_tokens":40,"output_tokens_details":{"reasoning_tokens":30},"total_tokens":140}}"#,
            TokenUsage(promptTokens: 100, completionTokens: 40, cacheReadTokens: 64, reasoningTokens: 30)
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

    /// An Anthropic stream's `message_delta` has its output only: the prompt and its cached
    /// parts come from `message_start`.
    @Test func anAnthropicStreamsCountsMergeAcrossItsEvents() throws {
        let start = try #require(
            TokenUsage.lastReported(
                in: ByteBuffer(
                    string:
                        #"{"type":"message_start","message":{"usage":{"input_tokens":5,"cache_read_input_tokens":1000,"output_tokens":1}}}"#
                )))
        let delta = try #require(TokenUsage.lastReported(in: ByteBuffer(string: #"{"type":"message_delta","usage":{"output_tokens":9}}"#)))
        #expect(delta.merged(into: start) == TokenUsage(promptTokens: 1005, completionTokens: 9, cacheReadTokens: 1000))
    }

    @Test func partsAreNeverMoreThanTheirWhole() {
        let usage = TokenUsage(promptTokens: 10, completionTokens: 5, cacheReadTokens: 8, cacheWriteTokens: 8, reasoningTokens: 9)
        #expect(usage.cacheReadTokens == 8 && usage.cacheWriteTokens == 2 && usage.reasoningTokens == 5)
    }

    @Test(arguments: [#"{"choices":[]}"#, "data: {\"usage\":null}\n\n", #"{"usage":{"other":1}}"#, ""])
    func nothingReportedIsNil(body: String) {
        #expect(TokenUsage.lastReported(in: ByteBuffer(string: body)) == nil)
    }
}
