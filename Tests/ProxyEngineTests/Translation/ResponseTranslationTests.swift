import NIOCore
import Testing

@testable import ProxyEngine

@Suite(.timeLimit(.minutes(5))) struct ResponseTranslationTests {
    static let openAIAnswers: [(name: String, chat: String, message: String)] = [
        (
            "text, stop, cached prompt tokens",
            #"{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt","choices":[{"index":0,"message":{"role":"assistant","content":"Hello."},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":30,"completion_tokens":2,"total_tokens":32,"prompt_tokens_details":{"cached_tokens":20}}}"#,
            #"{"id":"msg_chatcmpl-1","type":"message","role":"assistant","model":"gpt","content":[{"type":"text","text":"Hello."}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":10,"output_tokens":2,"cache_creation_input_tokens":0,"cache_read_input_tokens":20}}"#
        ),
        (
            "reasoning, text and tool calls",
            #"{"id":"c2","object":"chat.completion","created":1,"model":"deepseek","choices":[{"index":0,"message":{"role":"assistant","reasoning_content":"Think.","content":"Checking.","tool_calls":[{"id":"call_1","type":"function","function":{"name":"get","arguments":"{\"city\":\"Paris\"}"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12}}"#,
            #"{"id":"msg_c2","type":"message","role":"assistant","model":"deepseek","content":[{"type":"thinking","thinking":"Think.","signature":""},{"type":"text","text":"Checking."},{"type":"tool_use","id":"call_1","name":"get","input":{"city":"Paris"}}],"stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":5,"output_tokens":7,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}"#
        ),
        (
            "length, no usage",
            #"{"id":"c3","model":"gpt","choices":[{"index":0,"message":{"role":"assistant","content":"Cut"},"finish_reason":"length"}]}"#,
            #"{"id":"msg_c3","type":"message","role":"assistant","model":"gpt","content":[{"type":"text","text":"Cut"}],"stop_reason":"max_tokens","stop_sequence":null,"usage":{"input_tokens":0,"output_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}"#
        ),
    ]

    @Test(arguments: Self.openAIAnswers.indices)
    func chatAnswersBecomeMessages(index: Int) throws {
        let fixture = Self.openAIAnswers[index]
        let translated = try OpenAIToAnthropic.response(json(fixture.chat))
        #expect(translated == json(fixture.message), "\(fixture.name): \(translated.encodedString)")
    }

    static let anthropicAnswers: [(name: String, message: String, chat: String)] = [
        (
            "thinking, text and tool_use with cache usage",
            #"{"id":"msg_1","type":"message","role":"assistant","model":"claude","content":[{"type":"thinking","thinking":"Hmm.","signature":"sig"},{"type":"text","text":"Checking."},{"type":"tool_use","id":"toolu_1","name":"get","input":{"city":"Paris"}}],"stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":10,"output_tokens":20,"cache_read_input_tokens":100,"cache_creation_input_tokens":5}}"#,
            #"{"id":"msg_1","object":"chat.completion","created":7,"model":"claude","choices":[{"index":0,"message":{"role":"assistant","content":"Checking.","reasoning_content":"Hmm.","tool_calls":[{"id":"toolu_1","type":"function","function":{"name":"get","arguments":"{\"city\":\"Paris\"}"}}]},"logprobs":null,"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":115,"completion_tokens":20,"total_tokens":135,"prompt_tokens_details":{"cached_tokens":100}}}"#
        ),
        (
            "only a tool call: content null",
            #"{"id":"msg_2","type":"message","role":"assistant","model":"claude","content":[{"type":"tool_use","id":"t","name":"n","input":{}}],"stop_reason":"tool_use","usage":{"input_tokens":1,"output_tokens":2}}"#,
            #"{"id":"msg_2","object":"chat.completion","created":7,"model":"claude","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"t","type":"function","function":{"name":"n","arguments":"{}"}}]},"logprobs":null,"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}"#
        ),
        (
            "stop sequence and max tokens",
            #"{"id":"msg_3","type":"message","role":"assistant","model":"claude","content":[{"type":"text","text":"a"}],"stop_reason":"max_tokens","usage":{"input_tokens":1,"output_tokens":1}}"#,
            #"{"id":"msg_3","object":"chat.completion","created":7,"model":"claude","choices":[{"index":0,"message":{"role":"assistant","content":"a"},"logprobs":null,"finish_reason":"length"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}"#
        ),
    ]

    @Test(arguments: Self.anthropicAnswers.indices)
    func messagesBecomeChatAnswers(index: Int) throws {
        let fixture = Self.anthropicAnswers[index]
        let translated = try AnthropicToOpenAI.response(json(fixture.message), created: 7)
        #expect(translated == json(fixture.chat), "\(fixture.name): \(translated.encodedString)")
    }

    @Test(arguments: [
        ("stop", "end_turn"), ("length", "max_tokens"), ("tool_calls", "tool_use"), ("function_call", "tool_use"),
        ("content_filter", "refusal"),
    ])
    func finishReasonsMapBothWays(finish: String, stop: String) {
        #expect(StopReason.anthropic(fromFinishReason: finish) == stop)
        if finish != "function_call" { #expect(StopReason.openAI(fromStopReason: stop) == finish) }
    }

    @Test func stopSequenceAndPauseAreAStop() {
        #expect(StopReason.openAI(fromStopReason: "stop_sequence") == "stop")
        #expect(StopReason.openAI(fromStopReason: "pause_turn") == "stop")
        #expect(StopReason.anthropic(fromFinishReason: nil) == "end_turn")
    }

    @Test func upstreamErrorsAreRewrittenInTheCallersFormat() {
        let openAIError = ByteBuffer(string: #"{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}"#)
        let asAnthropic = ErrorTranslation.body(openAIError, status: 429, from: .openAI, to: .anthropic).map { json(String(buffer: $0)) }
        #expect(asAnthropic == json(#"{"type":"error","error":{"type":"rate_limit_error","message":"Rate limit reached"}}"#))
        let anthropicError = ByteBuffer(string: #"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#)
        let asOpenAI = ErrorTranslation.body(anthropicError, status: 529, from: .anthropic, to: .openAI).map { json(String(buffer: $0)) }
        #expect(asOpenAI == json(#"{"error":{"message":"Overloaded","type":"overloaded_error","param":null,"code":null}}"#))
        #expect(ErrorTranslation.body(ByteBuffer(string: #"{"detail":"x"}"#), status: 500, from: .openAI, to: .anthropic) == nil)
    }

    @Test func countTokensEstimateIsFourBytesPerTokenPlusImages() {
        let request = json(
            #"{"model":"m","system":"12345678","messages":[{"role":"user","content":[{"type":"text","text":"abcd","cache_control":{"type":"ephemeral"}},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"AAAA"}}]},{"role":"assistant","content":"xyz"}]}"#
        )
        // "12345678" + "user" + "abcd" + "assistant" + "xyz" = 28 bytes → 7 tokens, plus one image.
        #expect(TokenEstimate.inputTokens(ofMessagesRequest: request) == 7 + 1600)
    }
}
