import NIOCore
import Testing

@testable import ProxyEngine

/// Recorded-shape streams (from the API references' examples) through the translators: the
/// events that come out, their order and indices, and that the output is the same however the
/// input was cut into chunks.
@Suite(.timeLimit(.minutes(5))) struct StreamTranslationTests {
    /// An OpenAI stream with reasoning, text, two tool calls (arguments in pieces) and usage.
    static let openAIStream = [
        #"data: {"id":"chatcmpl-9","object":"chat.completion.chunk","created":1,"model":"gpt","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}],"usage":null}"#,
        #"data: {"id":"chatcmpl-9","object":"chat.completion.chunk","created":1,"model":"gpt","choices":[{"index":0,"delta":{"reasoning_content":"Let me think."},"finish_reason":null}],"usage":null}"#,
        #"data: {"id":"chatcmpl-9","object":"chat.completion.chunk","created":1,"model":"gpt","choices":[{"index":0,"delta":{"content":"Checking "},"finish_reason":null}],"usage":null}"#,
        #"data: {"id":"chatcmpl-9","object":"chat.completion.chunk","created":1,"model":"gpt","choices":[{"index":0,"delta":{"content":"both."},"finish_reason":null}],"usage":null}"#,
        #"data: {"id":"chatcmpl-9","object":"chat.completion.chunk","created":1,"model":"gpt","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"get","arguments":""}}]},"finish_reason":null}],"usage":null}"#,
        #"data: {"id":"chatcmpl-9","object":"chat.completion.chunk","created":1,"model":"gpt","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}]},"finish_reason":null}],"usage":null}"#,
        #"data: {"id":"chatcmpl-9","object":"chat.completion.chunk","created":1,"model":"gpt","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\"Paris\"}"}}]},"finish_reason":null}],"usage":null}"#,
        #"data: {"id":"chatcmpl-9","object":"chat.completion.chunk","created":1,"model":"gpt","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_b","type":"function","function":{"name":"get","arguments":"{\"city\":\"Rome\"}"}}]},"finish_reason":null}],"usage":null}"#,
        #"data: {"id":"chatcmpl-9","object":"chat.completion.chunk","created":1,"model":"gpt","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}],"usage":null}"#,
        #"data: {"id":"chatcmpl-9","object":"chat.completion.chunk","created":1,"model":"gpt","choices":[],"usage":{"prompt_tokens":50,"completion_tokens":30,"total_tokens":80,"prompt_tokens_details":{"cached_tokens":10}}}"#,
        "data: [DONE]",
    ].map { $0 + "\n\n" }.joined()

    static let expectedAnthropicEvents: [(String, String)] = [
        (
            "message_start",
            #"{"type":"message_start","message":{"id":"msg_chatcmpl-9","type":"message","role":"assistant","model":"claude-x","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":0,"output_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}}"#
        ),
        ("ping", #"{"type":"ping"}"#),
        (
            "content_block_start",
            #"{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}}"#
        ),
        ("content_block_delta", #"{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Let me think."}}"#),
        ("content_block_stop", #"{"type":"content_block_stop","index":0}"#),
        ("content_block_start", #"{"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}"#),
        ("content_block_delta", #"{"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"Checking "}}"#),
        ("content_block_delta", #"{"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"both."}}"#),
        ("content_block_stop", #"{"type":"content_block_stop","index":1}"#),
        (
            "content_block_start",
            #"{"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"call_a","name":"get","input":{}}}"#
        ),
        (
            "content_block_delta",
            #"{"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\"city\":"}}"#
        ),
        (
            "content_block_delta",
            #"{"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"\"Paris\"}"}}"#
        ),
        ("content_block_stop", #"{"type":"content_block_stop","index":2}"#),
        (
            "content_block_start",
            #"{"type":"content_block_start","index":3,"content_block":{"type":"tool_use","id":"call_b","name":"get","input":{}}}"#
        ),
        (
            "content_block_delta",
            #"{"type":"content_block_delta","index":3,"delta":{"type":"input_json_delta","partial_json":"{\"city\":\"Rome\"}"}}"#
        ),
        ("content_block_stop", #"{"type":"content_block_stop","index":3}"#),
        (
            "message_delta",
            #"{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"input_tokens":40,"output_tokens":30,"cache_creation_input_tokens":0,"cache_read_input_tokens":10}}"#
        ),
        ("message_stop", #"{"type":"message_stop"}"#),
    ]

    /// An Anthropic stream with thinking (and its signature), text, a tool call and usage.
    static let anthropicStream = [
        "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_01\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"model\":\"claude\",\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":25,\"cache_read_input_tokens\":5,\"output_tokens\":1}}}",
        "event: ping\ndata: {\"type\": \"ping\"}",
        "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\",\"signature\":\"\"}}",
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"Hmm.\"}}",
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"signature_delta\",\"signature\":\"EqQB\"}}",
        "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}",
        "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}",
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"text_delta\",\"text\":\"Okay, \"}}",
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"text_delta\",\"text\":\"checking.\"}}",
        "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":1}",
        "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":2,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_01\",\"name\":\"get\",\"input\":{}}}",
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"\"}}",
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"city\\\": \\\"Paris\\\"}\"}}",
        "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":2}",
        "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":42}}",
        "event: message_stop\ndata: {\"type\":\"message_stop\"}",
    ].map { $0 + "\n\n" }.joined()

    static let expectedOpenAIChunks: [String] = [
        #"{"id":"msg_01","object":"chat.completion.chunk","created":3,"model":"gpt-x","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}"#,
        #"{"id":"msg_01","object":"chat.completion.chunk","created":3,"model":"gpt-x","choices":[{"index":0,"delta":{"reasoning_content":"Hmm."},"logprobs":null,"finish_reason":null}]}"#,
        #"{"id":"msg_01","object":"chat.completion.chunk","created":3,"model":"gpt-x","choices":[{"index":0,"delta":{"content":"Okay, "},"logprobs":null,"finish_reason":null}]}"#,
        #"{"id":"msg_01","object":"chat.completion.chunk","created":3,"model":"gpt-x","choices":[{"index":0,"delta":{"content":"checking."},"logprobs":null,"finish_reason":null}]}"#,
        #"{"id":"msg_01","object":"chat.completion.chunk","created":3,"model":"gpt-x","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"toolu_01","type":"function","function":{"name":"get","arguments":""}}]},"logprobs":null,"finish_reason":null}]}"#,
        #"{"id":"msg_01","object":"chat.completion.chunk","created":3,"model":"gpt-x","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\": \"Paris\"}"}}]},"logprobs":null,"finish_reason":null}]}"#,
        #"{"id":"msg_01","object":"chat.completion.chunk","created":3,"model":"gpt-x","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"tool_calls"}]}"#,
        #"{"id":"msg_01","object":"chat.completion.chunk","created":3,"model":"gpt-x","choices":[],"usage":{"prompt_tokens":30,"completion_tokens":42,"total_tokens":72,"prompt_tokens_details":{"cached_tokens":5}}}"#,
        "[DONE]",
    ]

    @Test func anOpenAIStreamBecomesAMessagesStream() {
        var translator = OpenAIToAnthropicStream(model: "claude-x")
        let output = run(&translator, [ByteBuffer(string: Self.openAIStream)])
        let events = parsedEvents([output])
        #expect(events.count == Self.expectedAnthropicEvents.count)
        for (event, expected) in zip(events, Self.expectedAnthropicEvents) {
            #expect(event.event == expected.0)
            #expect(json(event.data) == json(expected.1), "\(event.data)")
        }
        #expect(translator.usage == TokenUsage(promptTokens: 50, completionTokens: 30, cacheReadTokens: 10))
        #expect(translator.isComplete)
    }

    @Test func aMessagesStreamBecomesAnOpenAIStream() {
        var translator = AnthropicToOpenAIStream(model: "gpt-x", created: 3, includeUsage: true)
        let output = run(&translator, [ByteBuffer(string: Self.anthropicStream)])
        let events = parsedEvents([output])
        #expect(events.map(\.event) == Array(repeating: nil, count: Self.expectedOpenAIChunks.count))
        #expect(events.count == Self.expectedOpenAIChunks.count)
        for (event, expected) in zip(events, Self.expectedOpenAIChunks) {
            if expected == "[DONE]" {
                #expect(event.data == expected)
            } else {
                #expect(json(event.data) == json(expected), "\(event.data)")
            }
        }
        #expect(translator.usage == TokenUsage(promptTokens: 30, completionTokens: 42, cacheReadTokens: 5))
    }

    @Test func theUsageChunkIsOnlySentWhenAskedFor() {
        var translator = AnthropicToOpenAIStream(model: "gpt-x", created: 3, includeUsage: false)
        let events = parsedEvents([run(&translator, [ByteBuffer(string: Self.anthropicStream)])])
        #expect(events.count == Self.expectedOpenAIChunks.count - 1)
        #expect(!events.contains { $0.data.contains(#""usage""#) })
        #expect(translator.usage == TokenUsage(promptTokens: 30, completionTokens: 42, cacheReadTokens: 5))
    }

    @Test(arguments: [true, false])
    func everyChunkSplitGivesTheSameOutput(fromOpenAI: Bool) {
        let input = ByteBuffer(string: fromOpenAI ? Self.openAIStream : Self.anthropicStream)
        let reference = fromOpenAI ? runOpenAI([input]) : runAnthropic([input])
        for split in 0...input.readableBytes {
            let pieces = [input.getSlice(at: 0, length: split)!, input.getSlice(at: split, length: input.readableBytes - split)!]
            let output = fromOpenAI ? runOpenAI(pieces) : runAnthropic(pieces)
            #expect(output == reference, "split at \(split)")
            if output != reference { return }
        }
        // And one byte at a time.
        let bytes = (0..<input.readableBytes).map { input.getSlice(at: $0, length: 1)! }
        #expect((fromOpenAI ? runOpenAI(bytes) : runAnthropic(bytes)) == reference)
    }

    func runOpenAI(_ pieces: [ByteBuffer]) -> ByteBuffer {
        var translator = OpenAIToAnthropicStream(model: "claude-x")
        return run(&translator, pieces)
    }

    func runAnthropic(_ pieces: [ByteBuffer]) -> ByteBuffer {
        var translator = AnthropicToOpenAIStream(model: "gpt-x", created: 3, includeUsage: true)
        return run(&translator, pieces)
    }

    @Test func anUpstreamErrorEventEndsTheStreamWithTheCallersErrorEvent() {
        var translator = OpenAIToAnthropicStream(model: "c")
        let stream = ByteBuffer(
            string: [
                #"data: {"id":"x","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}"#,
                #"data: {"error":{"message":"The server had an error","type":"server_error"}}"#,
                #"data: {"id":"x","choices":[{"index":0,"delta":{"content":"more"},"finish_reason":null}]}"#,
            ].map { $0 + "\n\n" }.joined())
        var framer = SSEFramer()
        try? framer.append(stream)
        let batch = translator.translate(batch: framer.nextEvents()!)
        #expect(batch.failure?.status == 502)
        let events = parsedEvents([batch.output])
        #expect(events.map(\.event) == ["message_start", "ping", "content_block_start", "content_block_delta", "error"])
        #expect(json(events.last!.data)["error"]?["type"] == .string("api_error"))
        #expect(events.last!.data.contains("The server had an error"))
    }

    @Test(arguments: [
        // A delta for a block that never started.
        #"event: message_start\#ndata: {"type":"message_start","message":{"id":"m","usage":{}}}\#n\#nevent: content_block_delta\#ndata: {"type":"content_block_delta","index":3,"delta":{"type":"text_delta","text":"x"}}\#n\#n"#,
        // A delta of the wrong kind.
        #"event: message_start\#ndata: {"type":"message_start","message":{"id":"m"}}\#n\#nevent: content_block_start\#ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\#n\#nevent: content_block_delta\#ndata: {"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{"}}\#n\#n"#,
        // Content before message_start.
        #"event: content_block_start\#ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\#n\#n"#,
        // Not JSON.
        "event: message_start\ndata: {oops\n\n",
        // An upstream error.
        #"event: error\#ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\#n\#n"#,
    ])
    func aBrokenMessagesStreamBecomesOneCleanOpenAIErrorEvent(stream: String) {
        var translator = AnthropicToOpenAIStream(model: "g", created: 1, includeUsage: false)
        var framer = SSEFramer()
        try? framer.append(ByteBuffer(string: stream))
        let batch = translator.translate(batch: framer.nextEvents()!)
        #expect(batch.failure != nil)
        let events = parsedEvents([batch.output])
        let last = json(events.last!.data)
        #expect(last["error"]?["message"]?.stringValue != nil)
        // Nothing but chunks before it.
        for event in events.dropLast() { #expect(json(event.data)["object"] == .string("chat.completion.chunk")) }
    }

    @Test func aStreamThatEndsEarlyEndsWithAnErrorEvent() {
        var translator = OpenAIToAnthropicStream(model: "c")
        let cut = ByteBuffer(string: #"data: {"id":"x","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}"# + "\n\n")
        let output = run(&translator, [cut])
        let events = parsedEvents([output])
        #expect(events.last?.event == "error")
        var anthropic = AnthropicToOpenAIStream(model: "g", created: 1, includeUsage: false)
        let started = ByteBuffer(string: "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\"}}\n\n")
        #expect(json(parsedEvents([run(&anthropic, [started])]).last!.data)["error"] != nil)
    }

    @Test func anEmptyOpenAIStreamStillMakesAWholeMessage() {
        var translator = OpenAIToAnthropicStream(model: "c")
        let output = run(
            &translator,
            [ByteBuffer(string: #"data: {"id":"x","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"# + "\n\ndata: [DONE]\n\n")])
        #expect(parsedEvents([output]).map(\.event) == ["message_start", "ping", "message_delta", "message_stop"])
    }

    @Test func theMockAnswersAreValidStreamsInBothFormats() throws {
        let request = json(
            #"{"model":"m","thinking":{"type":"enabled","budget_tokens":1024},"tools":[{"name":"get","input_schema":{}}],"messages":[{"role":"user","content":"x"}]}"#
        )
        let answer = MockAnswer(request: request, format: .anthropic, chunks: 3, created: 1, promptTokens: 4)
        var anthropic = AnthropicStreamValidator()
        for event in answer.anthropicEvents() { try anthropic.check(event) }
        #expect(anthropic.isStopped)
        var openAI = OpenAIStreamValidator()
        for chunk in answer.openAIChunks(includeUsage: true) { try openAI.check(chunk) }
    }
}

/// Runs a translator over the pieces as the gateway's pump does: framed into batches of whole
/// events, then finished.
func run<T: StreamTranslator>(_ translator: inout T, _ pieces: [ByteBuffer]) -> ByteBuffer {
    var framer = SSEFramer()
    var output = ByteBuffer()
    for piece in pieces {
        try? framer.append(piece)
        while let batch = framer.nextEvents() {
            var translated = translator.translate(batch: batch).output
            output.writeBuffer(&translated)
        }
    }
    var last = translator.finish().output
    output.writeBuffer(&last)
    return output
}
