import FoundationEssentials
import NIOCore
import Testing

@testable import ProxyEngine

/// The Gemini adapters on the hub, with fixtures written from Gemini's API reference
/// (`generateContent`, `streamGenerateContent?alt=sse`): a Chat request out and a Gemini answer
/// and stream in (`ChatToGemini`), a Gemini request in and a Chat answer and stream out
/// (`GeminiToChat`).
@Suite(.timeLimit(.minutes(5))) struct GeminiTranslationTests {
    // MARK: Chat → Gemini (a Gemini upstream)

    @Test func aChatRequestBecomesContentsWithSystemInstructionToolsAndGenerationConfig() throws {
        let chat = json(
            #"{"model":"g","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Weather?"},{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},{"role":"tool","tool_call_id":"call_1","content":"sunny"}],"tools":[{"type":"function","function":{"name":"get_weather","description":"Weather.","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}],"tool_choice":"required","max_tokens":100,"temperature":0.5,"top_p":0.9,"stop":"END","reasoning_effort":"low"}"#
        )
        let gemini = try ChatToGemini.request(chat)
        #expect(gemini["systemInstruction"] == json(#"{"parts":[{"text":"Be brief."}]}"#))
        let contents = try #require(gemini["contents"]?.arrayValue)
        #expect(contents.map { $0["role"]?.stringValue ?? "" } == ["user", "model", "user"])
        #expect(
            contents[1]["parts"]
                == json(
                    #"[{"functionCall":{"name":"get_weather","args":{"city":"Paris"},"id":"call_1"},"thoughtSignature":"skip_thought_signature_validator"}]"#
                ))
        #expect(
            contents[2]["parts"] == json(#"[{"functionResponse":{"name":"get_weather","response":{"content":"sunny"},"id":"call_1"}}]"#))
        #expect(
            gemini["tools"]
                == json(
                    #"[{"functionDeclarations":[{"name":"get_weather","description":"Weather.","parametersJsonSchema":{"type":"object","properties":{"city":{"type":"string"}}}}]}]"#
                ))
        #expect(gemini["toolConfig"] == json(#"{"functionCallingConfig":{"mode":"ANY"}}"#))
        #expect(
            gemini["generationConfig"]
                == json(
                    #"{"maxOutputTokens":100,"temperature":0.5,"topP":0.9,"stopSequences":["END"],"thinkingConfig":{"thinkingBudget":1024,"includeThoughts":true}}"#
                ))
        #expect(gemini["model"] == nil && gemini["messages"] == nil)
    }

    /// The gateway's names for Gemini's unnamed calls differ from turn to turn (an agent keys
    /// results by id; Messages refuses an id seen before), in the characters every format allows.
    @Test func callNamesAreUniquePerAnswerAndSafe() {
        #expect(GeminiToolCallID.id(given: nil, index: 2, response: "aB3-x_9") == "call_gemini_aB3-x_9_2")
        #expect(GeminiToolCallID.id(given: nil, index: 0, response: "a/b c\u{e9}d") == "call_gemini_abcd_0")
        #expect(GeminiToolCallID.id(given: nil, index: 1, response: String(repeating: "z", count: 500)).count == 12 + 64 + 2)
        #expect(GeminiToolCallID.id(given: nil, index: 1, response: "//") == "call_gemini_1")
        #expect(GeminiToolCallID.id(given: "fc-7", index: 0, response: "r") == "fc-7")
        #expect(GeminiToolCallID.isGateways(GeminiToolCallID.id(given: nil, index: 0, response: "r")))
    }

    @Test func moreThanOneChoiceIsRefused() {
        #expect(throws: GatewayError.self) { try ChatToGemini.request(json(#"{"messages":[{"role":"user","content":"x"}],"n":2}"#)) }
    }

    @Test func aGeminiAnswerBecomesAChatCompletionWithReasoningToolCallsAndUsage() throws {
        let answer = json(
            #"{"candidates":[{"content":{"role":"model","parts":[{"text":"Hmm.","thought":true},{"text":"Calling."},{"functionCall":{"name":"get_weather","args":{"city":"Paris"}}}]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":20,"cachedContentTokenCount":5,"candidatesTokenCount":7,"thoughtsTokenCount":3,"totalTokenCount":30},"modelVersion":"gemini-2.5-flash","responseId":"r1"}"#
        )
        let chat = try ChatToGemini.response(answer, model: "g", created: 9)
        let message = try #require(chat["choices"]?.arrayValue?.first?["message"])
        #expect(message["content"] == .string("Calling."))
        #expect(message["reasoning_content"] == .string("Hmm."))
        #expect(
            message["tool_calls"]
                == json(
                    #"[{"id":"call_gemini_r1_0","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]"#))
        #expect(chat["choices"]?.arrayValue?.first?["finish_reason"] == .string("tool_calls"))
        #expect(
            chat["usage"]
                == json(
                    #"{"prompt_tokens":20,"completion_tokens":10,"total_tokens":30,"prompt_tokens_details":{"cached_tokens":5},"completion_tokens_details":{"reasoning_tokens":3}}"#
                ))
    }

    @Test(arguments: [
        (#"{"candidates":[{"content":{"parts":[]},"finishReason":"SAFETY"}]}"#, "content_filter"),
        (#"{"promptFeedback":{"blockReason":"SAFETY"},"usageMetadata":{"promptTokenCount":4}}"#, "content_filter"),
        (#"{"candidates":[{"content":{"parts":[{"text":"x"}]},"finishReason":"MAX_TOKENS"}]}"#, "length"),
    ])
    func safetyBlocksAreTheContentFilterAndTheLimitIsLength(answer: String, reason: String) throws {
        let chat = try ChatToGemini.response(json(answer), model: "g", created: 0)
        #expect(chat["choices"]?.arrayValue?.first?["finish_reason"] == .string(reason))
        let messages = try OpenAIToAnthropic.response(chat)
        #expect(messages["stop_reason"] == .string(reason == "length" ? "max_tokens" : "refusal"))
    }

    static let geminiStream = [
        #"data: {"candidates":[{"content":{"role":"model","parts":[{"text":"Thinking.","thought":true}]},"index":0}],"usageMetadata":{"promptTokenCount":12},"responseId":"r9"}"#,
        #"data: {"candidates":[{"content":{"role":"model","parts":[{"text":"Hello "}]},"index":0}],"usageMetadata":{"promptTokenCount":12}}"#,
        #"data: {"candidates":[{"content":{"role":"model","parts":[{"text":"world"},{"functionCall":{"name":"get","args":{"q":1}}}]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":12,"candidatesTokenCount":6,"thoughtsTokenCount":2,"totalTokenCount":20}}"#,
    ].map { $0 + "\r\n\r\n" }.joined()

    /// Every split point of the stream gives the same chunks.
    @Test(arguments: [1, 7, 64, 100_000])
    func aGeminiStreamBecomesChatChunksEndingWithFinishUsageAndDone(pieceSize: Int) throws {
        var translator = ChatToGeminiStream(model: "g", created: 1, includeUsage: true)
        let output = String(buffer: run(&translator, Self.pieces(Self.geminiStream, size: pieceSize)))
        let data = output.components(separatedBy: "\n\n").filter { !$0.isEmpty }.map { String($0.dropFirst("data: ".count)) }
        #expect(data.last == "[DONE]")
        let chunks = data.dropLast().map { json($0) }
        #expect(chunks[0]["id"] == .string("chatcmpl-r9"))
        #expect(chunks[0]["choices"]?.arrayValue?.first?["delta"]?["role"] == .string("assistant"))
        #expect(chunks[1]["choices"]?.arrayValue?.first?["delta"]?["reasoning_content"] == .string("Thinking."))
        #expect(chunks[2]["choices"]?.arrayValue?.first?["delta"]?["content"] == .string("Hello "))
        #expect(chunks[3]["choices"]?.arrayValue?.first?["delta"]?["content"] == .string("world"))
        let call = chunks[4]["choices"]?.arrayValue?.first?["delta"]?["tool_calls"]?.arrayValue?.first
        #expect(call?["id"] == .string("call_gemini_r9_0") && call?["function"]?["name"] == .string("get"))
        #expect(
            chunks[5]["choices"]?.arrayValue?.first?["delta"]?["tool_calls"]?.arrayValue?.first?["function"]?["arguments"]
                == .string(#"{"q":1}"#))
        #expect(chunks[6]["choices"]?.arrayValue?.first?["finish_reason"] == .string("tool_calls"))
        #expect(chunks[7]["usage"]?["completion_tokens"] == .int(8))
        #expect(translator.usage == TokenUsage(promptTokens: 12, completionTokens: 8, reasoningTokens: 2))
        #expect(translator.isComplete)
    }

    /// Google has sent a finish reason on every chunk: the stream is read on, and ends once.
    @Test func aFinishReasonOnEveryChunkIsReadOn() {
        let stream = [
            #"{"candidates":[{"content":{"role":"model","parts":[{"text":"Hello "}]},"finishReason":"STOP"}]}"#,
            #"{"candidates":[{"content":{"role":"model","parts":[{"text":"world"}]},"finishReason":"STOP"}]}"#,
        ].map { "data: \($0)\r\n\r\n" }.joined()
        var translator = ChatToGeminiStream(model: "g", created: 1, includeUsage: false)
        let output = String(buffer: run(&translator, [ByteBuffer(string: stream)]))
        #expect(output.contains(#""content":"Hello ""#) && output.contains(#""content":"world""#))
        #expect(!output.contains(#""error""#))
        #expect(output.components(separatedBy: "finish_reason\":\"stop\"").count == 2)
        #expect(output.hasSuffix("data: [DONE]\n\n"))
    }

    /// A replayed tool call carries the signature Google documents for calls it did not sign:
    /// Gemini 3 refuses one without.
    @Test func replayedToolCallsCarryTheForeignCallSignature() throws {
        let chat = json(
            #"{"model":"g","messages":[{"role":"user","content":"hi"},{"role":"assistant","tool_calls":[{"id":"call_1","type":"function","function":{"name":"get","arguments":"{}"}}]},{"role":"tool","tool_call_id":"call_1","content":"{}"}]}"#
        )
        let gemini = try ChatToGemini.request(chat)
        let parts = gemini["contents"]?.arrayValue?[1]["parts"]?.arrayValue
        #expect(parts?.first?["functionCall"]?["name"] == .string("get"))
        #expect(parts?.first?["thoughtSignature"] == .string("skip_thought_signature_validator"))
    }

    @Test func aGeminiStreamCutBeforeItsFinishEndsInAnError() {
        let cut = Self.geminiStream.components(separatedBy: "\r\n\r\n")[0] + "\r\n\r\n"
        var translator = ChatToGeminiStream(model: "g", created: 1, includeUsage: false)
        let output = String(buffer: run(&translator, [ByteBuffer(string: cut)]))
        #expect(output.contains(#""error""#))
        #expect(!output.contains("[DONE]"))
    }

    @Test func aGeminiStreamThroughTheHubReachesAnAnthropicClient() {
        var translator = FormatBridge(caller: .anthropic, upstream: .gemini).streamTranslator(model: "g", created: 1, includeUsage: false)!
        let output = String(buffer: run(&translator, [ByteBuffer(string: Self.geminiStream)]))
        #expect(output.contains("event: message_start"))
        #expect(output.contains(#""type":"tool_use""#))
        #expect(output.contains(#""stop_reason":"tool_use""#))
        #expect(output.hasSuffix("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"))
    }

    // MARK: Gemini → Chat (a Gemini client)

    @Test func aGeminiRequestBecomesAChatRequest() throws {
        let gemini = json(
            #"{"systemInstruction":{"parts":[{"text":"Be brief."}]},"contents":[{"role":"user","parts":[{"text":"Weather?"}]},{"role":"model","parts":[{"functionCall":{"name":"get_weather","args":{"city":"Paris"}}}]},{"role":"user","parts":[{"functionResponse":{"name":"get_weather","response":{"t":20}}}]}],"tools":[{"functionDeclarations":[{"name":"get_weather","parameters":{"type":"OBJECT","properties":{"city":{"type":"STRING"}},"required":["city"]}}]}],"toolConfig":{"functionCallingConfig":{"mode":"ANY","allowedFunctionNames":["get_weather"]}},"generationConfig":{"maxOutputTokens":50,"temperature":0.2,"topP":0.8,"stopSequences":["X"],"thinkingConfig":{"thinkingBudget":8192,"includeThoughts":true}}}"#
        )
        let chat = try GeminiToChat.request(gemini, model: "up", stream: true)
        #expect(
            chat
                == json(
                    #"{"model":"up","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Weather?"},{"role":"assistant","content":null,"tool_calls":[{"id":"call_gemini_0","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},{"role":"tool","tool_call_id":"call_gemini_0","content":"{\"t\":20}"}],"max_tokens":50,"temperature":0.2,"top_p":0.8,"stop":["X"],"reasoning_effort":"medium","tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}],"tool_choice":{"type":"function","function":{"name":"get_weather"}},"stream":true,"stream_options":{"include_usage":true}}"#
                ))
    }

    /// Responses pair with calls by id, else by name in order; thousands of calls are read once.
    @Test func functionResponsesPairWithTheirCalls() throws {
        let calls = (0..<3000).map { #"{"functionCall":{"name":"f\#($0 % 3)","args":{}}}"# }.joined(separator: ",")
        let results = (0..<3000).map { #"{"functionResponse":{"name":"f\#($0 % 3)","response":{"n":\#($0)}}}"# }.joined(separator: ",")
        let body =
            #"{"contents":[{"role":"user","parts":[{"text":"go"}]},{"role":"model","parts":[\#(calls)]},{"role":"user","parts":[\#(results)]}]}"#
        let chat = try GeminiToChat.request(json(body), model: "m", stream: false)
        let messages = try #require(chat["messages"]?.arrayValue)
        let ids = messages[1]["tool_calls"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
        let answered = messages.dropFirst(2).compactMap { $0["tool_call_id"]?.stringValue }
        #expect(ids.count == 3000 && answered == ids)
        let byID = try GeminiToChat.request(
            json(
                #"{"contents":[{"role":"model","parts":[{"functionCall":{"id":"a","name":"f","args":{}}},{"functionCall":{"id":"b","name":"f","args":{}}}]},{"role":"user","parts":[{"functionResponse":{"id":"b","name":"f","response":{}}},{"functionResponse":{"name":"f","response":{}}}]}]}"#
            ), model: "m", stream: false)
        #expect(byID["messages"]?.arrayValue?.dropFirst().compactMap { $0["tool_call_id"]?.stringValue } == ["b", "a"])
    }

    @Test(arguments: [#"{}"#, #"{"contents":[]}"#, #"{"contents":[{"role":"user"}]}"#, #"{"contents":[{"role":"x","parts":[]}]}"#])
    func aGeminiRequestWithoutUsableContentsIsRefused(body: String) {
        #expect(throws: GatewayError.self) { try GeminiToChat.request(json(body), model: "m", stream: false) }
    }

    @Test func aChatAnswerBecomesAGeminiResponse() throws {
        let completion = json(
            #"{"id":"chatcmpl-1","choices":[{"index":0,"message":{"role":"assistant","content":"Hi","reasoning_content":"R","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":10,"completion_tokens":4,"total_tokens":14}}"#
        )
        let gemini = try GeminiToChat.response(completion, model: "m")
        #expect(
            gemini
                == json(
                    #"{"candidates":[{"content":{"role":"model","parts":[{"text":"R","thought":true},{"text":"Hi"},{"functionCall":{"name":"f","args":{"a":1},"id":"c1"}}]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":10,"candidatesTokenCount":4,"totalTokenCount":14},"modelVersion":"m","responseId":"chatcmpl-1"}"#
                ))
    }

    @Test(arguments: [1, 5, 100_000])
    func aChatStreamBecomesGeminiEventsWithWholeFunctionCallsLast(pieceSize: Int) throws {
        var translator = GeminiToChatStream(model: "m")
        let output = String(buffer: run(&translator, Self.pieces(StreamTranslationTests.openAIStream, size: pieceSize)))
        let events = output.components(separatedBy: "\r\n\r\n").filter { !$0.isEmpty }.map { json(String($0.dropFirst("data: ".count))) }
        let parts = events.map { $0["candidates"]?.arrayValue?.first?["content"]?["parts"] }
        #expect(parts[0] == json(#"[{"text":"Let me think.","thought":true}]"#))
        #expect(parts[1] == json(#"[{"text":"Checking "}]"#))
        #expect(parts[2] == json(#"[{"text":"both."}]"#))
        #expect(
            parts[3]
                == json(
                    #"[{"functionCall":{"name":"get","args":{"city":"Paris"},"id":"call_a"}},{"functionCall":{"name":"get","args":{"city":"Rome"},"id":"call_b"}}]"#
                ))
        #expect(events.count == 4)
        #expect(events[3]["candidates"]?.arrayValue?.first?["finishReason"] == .string("STOP"))
        #expect(
            events[3]["usageMetadata"]
                == json(#"{"promptTokenCount":50,"candidatesTokenCount":30,"totalTokenCount":80,"cachedContentTokenCount":10}"#))
        #expect(StreamEndMarker.isIn(ByteBuffer(string: output), format: .gemini))
        #expect(translator.isComplete)
    }

    /// The last event ends the stream; a `finishReason` key inside a function call's arguments
    /// (or a text) does not, nor does an unspecified reason.
    @Test(arguments: [
        (#"data: {"candidates":[{"content":{"parts":[{"text":"a"}]},"finishReason":"STOP"}]}"#, true),
        (#"data:{"candidates":[{"finishReason":"MAX_TOKENS","index":0}],"usageMetadata":{}}"#, true),
        (#"data: {"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","args":{"finishReason":"STOP"}}}]}}]}"#, false),
        (#"data: {"candidates":[{"content":{"parts":[{"text":""finishReason":"STOP""}]}}]}"#, false),
        (#"data: {"candidates":[{"finishReason":"FINISH_REASON_UNSPECIFIED"}]}"#, false),
        (#"data: {"candidates":[{"finishReason":"STOP"}"#, false),
    ])
    func aStreamEndsAtACandidatesFinishReason(event: String, ends: Bool) {
        #expect(StreamEndMarker.isIn(ByteBuffer(string: event + "\r\n\r\n"), format: .gemini) == ends)
    }

    @Test func errorsAreInGooglesShape() {
        let body = String(buffer: APIFormat.gemini.errorBody(.unknownModel("x")))
        #expect(json(body)["error"]?["code"] == .int(404))
        #expect(json(body)["error"]?["status"] == .string("NOT_FOUND"))
        let translated = ErrorTranslation.body(
            ByteBuffer(string: #"{"error":{"code":429,"message":"Quota exceeded","status":"RESOURCE_EXHAUSTED"}}"#), status: 429,
            from: .gemini,
            to: .anthropic)
        #expect(translated.map { json(String(buffer: $0)) }?["error"]?["type"] == .string("rate_limit_error"))
    }

    @Test(arguments: [
        (
            #"{"error":{"code":429,"status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.QuotaFailure"},{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"37s"}]}}"#,
            37.0
        ),
        (#"{"error":{"details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"0.5s"}]}}"#, 0.5),
        (#"{"error":{"details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"1e9s"}]}}"#, 86_400.0),
    ])
    func googlesRetryDelayIsReadFromTheBody(body: String, seconds: Double) {
        #expect(RateLimitReset.seconds(fromGoogleErrorBody: ByteBuffer(string: body)) == seconds)
    }

    @Test(arguments: [
        #"{"error":{"details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"-3s"}]}}"#,
        #"{"error":{"details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"nans"}]}}"#,
        #"{"error":{"details":[{"@type":"x.RetryInfo","retryDelay":"5m"}]}}"#, #"{"error":{"message":"slow down"}}"#, "not json",
    ])
    func aBodyWithoutAUsableRetryDelayGivesNone(body: String) {
        #expect(RateLimitReset.seconds(fromGoogleErrorBody: ByteBuffer(string: body)) == nil)
    }

    @Test func geminiUsageIsReadFromUsageMetadata() {
        let body = ByteBuffer(
            string:
                #"{"candidates":[],"usageMetadata":{"promptTokenCount":100,"cachedContentTokenCount":40,"candidatesTokenCount":9,"thoughtsTokenCount":11}}"#
        )
        #expect(
            TokenUsage.lastReported(in: body, format: .gemini)
                == TokenUsage(promptTokens: 100, completionTokens: 20, cacheReadTokens: 40, reasoningTokens: 11))
    }

    @Test func theModelIsPercentEncodedInTheUpstreamPath() {
        #expect(GeminiPath.upstream(model: "gemini-2.5-flash", stream: true) == "/models/gemini-2.5-flash:streamGenerateContent?alt=sse")
        #expect(GeminiPath.upstream(model: "a/../b?x", stream: false) == "/models/a%2F..%2Fb%3Fx:generateContent")
    }

    @Test func theOutputLimitIsLoweredInsideGenerationConfig() {
        let body = ByteBuffer(string: #"{"contents":[],"generationConfig":{"maxOutputTokens":5000}}"#)
        #expect(OutputTokenLimit.value(in: body, format: .gemini) == 5000)
        let lowered = OutputTokenLimit.lowering(to: 100, in: body, format: .gemini, model: "g")
        #expect(lowered.map { OutputTokenLimit.value(in: $0, format: .gemini) } == 100)
    }

    static func pieces(_ text: String, size: Int) -> [ByteBuffer] {
        let bytes = Array(text.utf8)
        return stride(from: 0, to: bytes.count, by: size).map { ByteBuffer(bytes: bytes[$0..<min($0 + size, bytes.count)]) }
    }
}
