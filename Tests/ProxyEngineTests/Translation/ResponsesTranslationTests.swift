import NIOCore
import Testing

@testable import ProxyEngine

/// The Responses API adapter: requests into the Chat hub, Chat answers and streams out as
/// Responses ones, and an Anthropic stream through both adapters.
@Suite(.timeLimit(.minutes(5))) struct ResponsesTranslationTests {
    static func json(_ text: String) -> JSONValue { JSONValue(parsing: text)! }

    static let codexLikeRequest = json(
        #"""
        {"model":"gpt-5","instructions":"Be an agent.","stream":true,
         "input":[{"type":"message","role":"developer","content":[{"type":"input_text","text":"Rules."}]},
                  {"type":"message","role":"user","content":[{"type":"input_text","text":"Go."}]},
                  {"type":"reasoning","id":"rs_1","summary":[],"encrypted_content":"opaque"},
                  {"type":"function_call","call_id":"c1","name":"exec_command","arguments":"{\"cmd\":\"ls\"}"},
                  {"type":"function_call","call_id":"c2","name":"spawn","namespace":"agents","arguments":"{}"},
                  {"type":"function_call_output","call_id":"c1","output":"a b"},
                  {"type":"function_call_output","call_id":"c2","output":[{"type":"input_text","text":"ok"}]}],
         "tools":[{"type":"function","name":"exec_command","parameters":{"type":"object"},"strict":false},
                  {"type":"namespace","name":"agents","tools":[{"type":"function","name":"spawn","parameters":{"type":"object"}}]},
                  {"type":"function","name":"agents__spawn","parameters":{"type":"object"}},
                  {"type":"web_search"}],
         "tool_choice":{"type":"function","name":"spawn","namespace":"agents"},
         "parallel_tool_calls":false,"reasoning":{"effort":"high","summary":"auto"},"max_output_tokens":100,
         "text":{"format":{"type":"json_schema","name":"out","schema":{"type":"object"},"strict":true}},
         "store":false,"include":["reasoning.encrypted_content"],"prompt_cache_key":"thread-1"}
        """#)

    @Test func aCodexRequestBecomesAChatRequest() throws {
        let (chat, context) = try ResponsesToChat.request(Self.codexLikeRequest, model: "deepseek-chat")
        let messages = try #require(chat["messages"]?.arrayValue)
        #expect(messages.map { $0["role"]?.stringValue ?? "" } == ["system", "system", "user", "assistant", "tool", "tool"])
        #expect(messages[0]["content"] == .string("Be an agent."))
        #expect(messages[1]["content"] == .string("Rules."))
        // Both calls of the turn in one assistant message, each result after it in order.
        let calls = try #require(messages[3]["tool_calls"]?.arrayValue)
        #expect(calls.map { $0["function"]?["name"]?.stringValue ?? "" } == ["exec_command", "agents__spawn"])
        #expect(messages[4]["tool_call_id"] == .string("c1") && messages[4]["content"] == .string("a b"))
        #expect(messages[5]["content"] == .string("ok"))
        // The namespaced tool and a plain tool already named like its flattening stay apart.
        let names = try #require(chat["tools"]?.arrayValue).map { $0["function"]?["name"]?.stringValue ?? "" }
        #expect(names == ["exec_command", "agents__spawn", "agents__spawn_2"])
        #expect(context.toolNames.original("agents__spawn") == .init(name: "spawn", namespace: "agents"))
        #expect(context.toolNames.original("agents__spawn_2") == .init(name: "agents__spawn", namespace: nil))
        #expect(context.droppedTools == ["web_search"])
        #expect(chat["tool_choice"] == Self.json(#"{"type":"function","function":{"name":"agents__spawn"}}"#))
        #expect(chat["parallel_tool_calls"] == .bool(false))
        #expect(chat["reasoning_effort"] == .string("high"))
        #expect(chat["max_tokens"] == .int(100))
        #expect(
            chat["response_format"]
                == Self.json(#"{"type":"json_schema","json_schema":{"name":"out","schema":{"type":"object"},"strict":true}}"#))
        #expect(chat["stream_options"] == Self.json(#"{"include_usage":true}"#))
        #expect(chat["store"] == nil && chat["include"] == nil && chat["prompt_cache_key"] == nil)
        #expect(context.model == "gpt-5")
    }

    /// Found in review: history calls were named before the tools were registered, so a plain
    /// tool named like another's flattening got that tool's calls.
    @Test func historyCallsAreNamedAsTheirToolsWereAndAnswerTextJoinsItsCalls() throws {
        let request = Self.json(
            #"""
            {"model":"m","instructions":null,
             "tools":[{"type":"namespace","name":"agents","tools":[{"type":"function","name":"spawn","parameters":{}}]},
                      {"type":"function","name":"agents__spawn","parameters":{}}],
             "input":[{"role":"user","content":"go"},
                      {"type":"message","role":"assistant","content":[{"type":"output_text","text":"On it."}]},
                      {"type":"function_call","call_id":"c1","name":"agents__spawn","arguments":"{}"},
                      {"type":"web_search_call","id":"ws_1","status":"completed"},
                      {"type":"compaction","encrypted_content":"x"},
                      {"type":"function_call_output","call_id":"c1","output":"done"}]}
            """#)
        let (chat, _) = try ResponsesToChat.request(request, model: "m")
        let messages = try #require(chat["messages"]?.arrayValue)
        #expect(messages.map { $0["role"]?.stringValue ?? "" } == ["user", "assistant", "tool"])
        #expect(messages[1]["content"] == .string("On it."))
        #expect(messages[1]["tool_calls"]?.arrayValue?.first?["function"]?["name"] == .string("agents__spawn_2"))
    }

    @Test func aStreamFailingBeforeItsFirstEventStillStartsWithResponseCreated() {
        let translator = ChatToResponsesStream(context: ResponsesRequestContext(), created: 1)
        let events = Self.events(translator.failureEvent(.rateLimited("slow down", retryAfterSeconds: 1)))
        #expect(events.map(\.type) == ["response.created", "response.in_progress", "response.failed"])
        #expect(events.last?.data["response"]?["error"]?["code"] == .string("rate_limit_exceeded"))
    }

    @Test func longAndCollidingNamesStayWithinSixtyFourCharactersAndMapBack() {
        var names = ResponsesToolNames()
        let long = String(repeating: "n", count: 60)
        let first = names.register(name: long, namespace: "space")
        let second = names.register(name: long + "x", namespace: "space")
        #expect(first != second)
        #expect(first.utf8.count <= 64 && second.utf8.count <= 64)
        #expect(names.original(first) == .init(name: long, namespace: "space"))
        #expect(names.original(second) == .init(name: long + "x", namespace: "space"))
        // Multi-byte names are cut on a character, never inside one.
        let accented = names.register(name: String(repeating: "é", count: 40), namespace: "ns")
        #expect(accented.utf8.count <= 64)
    }

    @Test func aContinuedResponseIsRefusedOnATranslatedRoute() {
        let request = Self.json(#"{"model":"m","input":"hi","previous_response_id":"resp_1"}"#)
        #expect(throws: GatewayError.previousResponseNotFound("resp_1")) { try ResponsesToChat.request(request, model: "m") }
        #expect(GatewayError.previousResponseNotFound("resp_1").openAICode == "previous_response_not_found")
        #expect(GatewayError.previousResponseNotFound("resp_1").status == 400)
    }

    @Test func anUnknownInputItemIsA400NamingIt() {
        let request = Self.json(#"{"model":"m","input":[{"type":"bogus"}]}"#)
        #expect(throws: GatewayError.self) { try ResponsesToChat.request(request, model: "m") }
    }

    @Test func aChatAnswerBecomesAResponse() throws {
        var context = ResponsesRequestContext()
        context.model = "gpt-5"
        _ = context.toolNames.register(name: "spawn", namespace: "agents")
        let completion = Self.json(
            #"""
            {"id":"c","choices":[{"index":0,"finish_reason":"length","message":{"role":"assistant","content":"Hi","reasoning_content":"Hm",
             "tool_calls":[{"id":"call_1","type":"function","function":{"name":"agents__spawn","arguments":"{}"}}]}}],
             "usage":{"prompt_tokens":10,"completion_tokens":5,"prompt_tokens_details":{"cached_tokens":4},"completion_tokens_details":{"reasoning_tokens":2}}}
            """#)
        let response = try ChatToResponses.response(completion, context: context, created: 7)
        #expect(response["status"] == .string("incomplete"))
        #expect(response["incomplete_details"] == Self.json(#"{"reason":"max_output_tokens"}"#))
        let output = try #require(response["output"]?.arrayValue)
        #expect(output.map { $0["type"]?.stringValue ?? "" } == ["reasoning", "message", "function_call"])
        #expect(output[2]["name"] == .string("spawn") && output[2]["namespace"] == .string("agents"))
        #expect(output[1]["status"] == .string("incomplete"), "text cut at the output limit")
        #expect(response["usage"]?["input_tokens"] == .int(10))
        #expect(response["usage"]?["input_tokens_details"]?["cached_tokens"] == .int(4))
        #expect(response["usage"]?["output_tokens_details"]?["reasoning_tokens"] == .int(2))
        #expect(response["model"] == .string("gpt-5"))
    }

    /// The events of a translated stream, as (type, data) pairs; each must pass the validator.
    static func events(_ output: ByteBuffer) -> [(type: String, data: JSONValue)] {
        let batch = SSEBatch(framing: output)
        var validator = ResponsesStreamValidator()
        return (0..<batch.count).map { index in
            let event = SSEEvent(parsing: batch[index])
            let data = JSONValue(parsing: event.data) ?? .null
            #expect(event.event == data["type"]?.stringValue, "the event name is the data's type")
            #expect(
                throws: Never.self,
                "event \(index) keeps the stream's order",
                performing: {
                    try validator.check(
                        event.event ?? "", item: data["item_id"]?.stringValue ?? data["item"]?["id"]?.stringValue,
                        outputIndex: data["output_index"]?.intValue)
                })
            return (event.event ?? "", data)
        }
    }

    @Test func aChatStreamBecomesAResponsesStream() throws {
        var translator = ChatToResponsesStream(context: ResponsesRequestContext(), created: 1)
        var output = translator.translate(batch: ByteBuffer(string: StreamTranslationTests.openAIStream)).output
        var end = translator.finish().output
        output.writeBuffer(&end)
        let events = Self.events(output)
        #expect(
            events.map(\.type) == [
                "response.created", "response.in_progress",
                "response.output_item.added", "response.reasoning_summary_part.added", "response.reasoning_summary_text.delta",
                "response.reasoning_summary_text.done", "response.reasoning_summary_part.done", "response.output_item.done",
                "response.output_item.added", "response.content_part.added", "response.output_text.delta", "response.output_text.delta",
                "response.output_text.done", "response.content_part.done", "response.output_item.done",
                "response.output_item.added", "response.function_call_arguments.delta", "response.function_call_arguments.delta",
                "response.function_call_arguments.done", "response.output_item.done",
                "response.output_item.added", "response.function_call_arguments.delta", "response.function_call_arguments.done",
                "response.output_item.done",
                "response.completed",
            ])
        #expect(events.map { $0.data["sequence_number"]?.intValue ?? -1 } == Array(0..<events.count))
        let completed = try #require(events.last?.data["response"])
        let output2 = try #require(completed["output"]?.arrayValue)
        #expect(output2.map { $0["type"]?.stringValue ?? "" } == ["reasoning", "message", "function_call", "function_call"])
        #expect(output2[1]["content"]?.arrayValue?.first?["text"] == .string("Checking both."))
        #expect(output2[2]["arguments"] == .string(#"{"city":"Paris"}"#))
        #expect(completed["usage"]?["input_tokens"] == .int(50))
        #expect(completed["usage"]?["output_tokens"] == .int(30))
        // Items carry their index in the output, and deltas their item's id.
        #expect(events[16].data["output_index"] == .int(2))
        #expect(events[16].data["item_id"] == output2[2]["id"])
        #expect(translator.usage == TokenUsage(promptTokens: 50, completionTokens: 30, cacheReadTokens: 10))
    }

    @Test func aStreamCutAtTheOutputLimitEndsIncompleteWithItsMessageIncomplete() throws {
        var translator = ChatToResponsesStream(context: ResponsesRequestContext(), created: 1)
        let chunks = [
            #"{"id":"c","choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"},"finish_reason":null}]}"#,
            #"{"id":"c","choices":[{"index":0,"delta":{},"finish_reason":"length"}]}"#,
        ]
        var output = translator.translate(batch: ByteBuffer(string: chunks.map { "data: \($0)\n\n" }.joined() + "data: [DONE]\n\n")).output
        var end = translator.finish().output
        output.writeBuffer(&end)
        let events = Self.events(output)
        #expect(events.last?.type == "response.incomplete")
        let done = try #require(events.first { $0.type == "response.output_item.done" })
        #expect(done.data["item"]?["status"] == .string("incomplete"))
        #expect(events.last?.data["response"]?["incomplete_details"]?["reason"] == .string("max_output_tokens"))
    }

    @Test func anAnthropicStreamReachesAResponsesClientThroughTheHub() throws {
        var translator = ChainedStreamTranslator(
            AnthropicToOpenAIStream(model: "claude", created: 1, includeUsage: true),
            then: ChatToResponsesStream(context: ResponsesRequestContext(), created: 1))
        var output = translator.translate(batch: ByteBuffer(string: StreamTranslationTests.anthropicStream)).output
        var end = translator.finish().output
        output.writeBuffer(&end)
        let events = Self.events(output)
        #expect(events.first?.type == "response.created")
        #expect(events.last?.type == "response.completed")
        #expect(events.map { $0.data["sequence_number"]?.intValue ?? -1 } == Array(0..<events.count))
        #expect(translator.isComplete)
        #expect((translator.usage?.completionTokens ?? 0) > 0)
    }

    @Test func aStreamThatEndsEarlyEndsInResponseFailed() throws {
        var translator = ChatToResponsesStream(context: ResponsesRequestContext(), created: 1)
        let first = #"data: {"id":"c","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}"# + "\n\n"
        var output = translator.translate(batch: ByteBuffer(string: first)).output
        let end = translator.finish()
        #expect(end.failure != nil)
        var tail = end.output
        output.writeBuffer(&tail)
        let events = Self.events(output)
        #expect(events.last?.type == "response.failed")
        #expect(events.last?.data["response"]?["status"] == .string("failed"))
        #expect(events.map { $0.data["sequence_number"]?.intValue ?? -1 } == Array(0..<events.count))
    }
}

/// What a stored response gives the next turn.
@Suite(.timeLimit(.minutes(5))) struct StoredResponseTests {
    @Test func aContinuedRequestStartsWithTheStoredInputThenItsOutput() throws {
        let response = ResponsesTranslationTests.json(
            #"{"id":"resp_1","output":[{"type":"message","role":"assistant","content":[{"type":"output_text","text":"Hi Ada"}]}]}"#)
        let first = [ResponsesTranslationTests.json(#"{"type":"message","role":"user","content":"I am Ada"}"#)]
        let stored = try #require(StoredResponse(response: response, input: first, user: "u", now: 10, retentionSeconds: 5))
        #expect(stored.id == "resp_1" && stored.expiresAt == 15)
        let next = ResponsesInput.continuing(
            ResponsesTranslationTests.json(#"{"model":"m","input":"Who am I?","previous_response_id":"resp_1"}"#), from: stored.history)
        let items = try #require(next["input"]?.arrayValue)
        #expect(items.count == 3)
        #expect(items[0]["content"] == .string("I am Ada"))
        #expect(items[1]["role"] == .string("assistant"))
        #expect(items[2]["content"] == .string("Who am I?"))
        #expect(next["previous_response_id"] == nil)
        let (chat, _) = try ResponsesToChat.request(next, model: "m")
        #expect(chat["messages"]?.arrayValue?.map { $0["role"]?.stringValue ?? "" } == ["user", "assistant", "user"])
    }

    @Test func aResponseWithoutAnIdOrTooLargeIsNotKept() {
        #expect(StoredResponse(response: .object([:]), input: [], user: "u", now: 0, retentionSeconds: 1) == nil)
        let huge = JSONValue.object(["id": .string("r"), "output": .string(String(repeating: "x", count: StoredResponse.maximumBytes))])
        #expect(StoredResponse(response: huge, input: [], user: "u", now: 0, retentionSeconds: 1) == nil)
    }
}

/// Anthropic thinking through the hub and back: the signature rides in `encrypted_content`.
@Suite(.timeLimit(.minutes(5))) struct ThinkingSignatureTests {
    static let thinkingStream = [
        (
            "message_start",
            #"{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude","content":[],"usage":{"input_tokens":5,"output_tokens":1}}}"#
        ),
        (
            "content_block_start",
            #"{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}}"#
        ),
        ("content_block_delta", #"{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Plan it."}}"#),
        ("content_block_delta", #"{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"sig-123"}}"#),
        ("content_block_stop", #"{"type":"content_block_stop","index":0}"#),
        (
            "content_block_start",
            #"{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_1","name":"get","input":{}}}"#
        ),
        ("content_block_delta", #"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{}"}}"#),
        ("content_block_stop", #"{"type":"content_block_stop","index":1}"#),
        ("message_delta", #"{"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":9}}"#),
        ("message_stop", #"{"type":"message_stop"}"#),
    ].map { "event: \($0.0)\ndata: \($0.1)\n\n" }.joined()

    @Test func aSignedThinkingBlockComesBackSignedOnTheNextTurn() throws {
        var translator = ChainedStreamTranslator(
            AnthropicToOpenAIStream(model: "claude", created: 1, includeUsage: true, carriesSignatures: true),
            then: ChatToResponsesStream(context: ResponsesRequestContext(), created: 1))
        _ = translator.translate(batch: ByteBuffer(string: Self.thinkingStream))
        let response = try #require(translator.completedResponse)
        let output = try #require(response["output"]?.arrayValue)
        #expect(output.map { $0["type"]?.stringValue ?? "" } == ["reasoning", "function_call"])
        #expect(output[0]["encrypted_content"] == .string(ResponsesObjects.signaturePrefix + "sig-123"))
        // The client sends the items back with the tool's result.
        let next = JSONValue.object([
            "model": .string("claude"), "reasoning": .object(["effort": .string("high")]),
            "input": .array(
                [ResponsesTranslationTests.json(#"{"role":"user","content":"go"}"#)] + output
                    + [ResponsesTranslationTests.json(#"{"type":"function_call_output","call_id":"toolu_1","output":"ok"}"#)]),
        ])
        var bridge = FormatBridge(caller: .responses, upstream: .anthropic)
        let body = try bridge.upstreamBody(next.encoded, upstreamModel: "claude", isAliased: false)
        let anthropic = try #require(JSONValue(parsing: body))
        let assistant = try #require(anthropic["messages"]?.arrayValue?[1])
        #expect(assistant["role"] == .string("assistant"))
        let blocks = try #require(assistant["content"]?.arrayValue)
        #expect(blocks.map { $0["type"]?.stringValue ?? "" } == ["thinking", "tool_use"])
        #expect(blocks[0]["signature"] == .string("sig-123") && blocks[0]["thinking"] == .string("Plan it."))
        // A Chat upstream (DeepSeek) gets the reasoning back, and no signature.
        var chatBridge = FormatBridge(caller: .responses, upstream: .openAI)
        let chat = try #require(JSONValue(parsing: try chatBridge.upstreamBody(next.encoded, upstreamModel: "deepseek", isAliased: false)))
        let chatAssistant = try #require(chat["messages"]?.arrayValue?[1])
        #expect(chatAssistant["reasoning_content"] == .string("Plan it.") && chatAssistant["reasoning_signature"] == nil)
    }

    @Test func aChatClientNeverSeesTheSignature() {
        var translator = AnthropicToOpenAIStream(model: "claude", created: 1, includeUsage: false)
        let output = translator.translate(batch: ByteBuffer(string: Self.thinkingStream)).output
        #expect(!String(buffer: output).contains("sig-123"))
    }
}

/// Freeform (`custom`) tools, such as Codex's `apply_patch`: one string in, one string out.
@Suite(.timeLimit(.minutes(5))) struct CustomToolTests {
    @Test func aCustomToolIsAOneStringFunctionUpstreamAndACustomCallBack() throws {
        let request = ResponsesTranslationTests.json(
            #"""
            {"model":"m","input":[{"role":"user","content":"patch it"},
              {"type":"custom_tool_call","call_id":"c0","name":"apply_patch","input":"*** Begin Patch"},
              {"type":"custom_tool_call_output","call_id":"c0","output":"ok"}],
             "tools":[{"type":"custom","name":"apply_patch","description":"Edit files.","format":{"type":"grammar","syntax":"lark","definition":"start: /.+/"}}],
             "tool_choice":{"type":"custom","name":"apply_patch"}}
            """#)
        let (chat, context) = try ResponsesToChat.request(request, model: "m")
        let function = try #require(chat["tools"]?.arrayValue?.first?["function"])
        #expect(function["name"] == .string("apply_patch"))
        #expect(function["parameters"]?["required"] == .array([.string("input")]))
        #expect(function["description"]?.stringValue?.contains("start: /.+/") == true)
        #expect(chat["tool_choice"] == ResponsesTranslationTests.json(#"{"type":"function","function":{"name":"apply_patch"}}"#))
        let history = try #require(chat["messages"]?.arrayValue?[1]["tool_calls"]?.arrayValue?.first)
        #expect(history["function"]?["arguments"] == .string(#"{"input":"*** Begin Patch"}"#))
        var translator = ChatToResponsesStream(context: context, created: 1)
        let chunks = [
            #"data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"c1","type":"function","function":{"name":"apply_patch","arguments":"{\"input\":"}}]}}]}"#,
            #"data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\"*** End Patch\"}"}}]}}]}"#,
            #"data: {"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}"#, "data: [DONE]",
        ].map { $0 + "\n\n" }.joined()
        let events = ResponsesTranslationTests.events(translator.translate(batch: ByteBuffer(string: chunks)).output)
        #expect(!events.contains { $0.type.hasPrefix("response.function_call_arguments") })
        let done = try #require(events.first { $0.type == "response.custom_tool_call_input.done" })
        #expect(done.data["input"] == .string("*** End Patch"))
        let item = try #require(translator.completedResponse?["output"]?.arrayValue?.first)
        #expect(
            item["type"] == .string("custom_tool_call") && item["input"] == .string("*** End Patch") && item["call_id"] == .string("c1"))
    }
}

extension ResponsesTranslationTests {
    /// Hostile input: 20,000 namespaced tools that all flatten alike are named in linear time
    /// (the search for a free number once started from 2 for each), and all apart.
    @Test func twentyThousandLookAlikeToolsGetDistinctNames() {
        var names = ResponsesToolNames()
        var seen = Set<String>()
        for index in 0..<20_000 {
            // Past 64 bytes a name is cut to its first 56: every one of these is cut alike.
            let name = names.register(name: "tool", namespace: String(repeating: "n", count: 60) + String(index))
            seen.insert(name)
            #expect(name.utf8.count <= 64)
        }
        #expect(seen.count == 20_000)
    }
}
