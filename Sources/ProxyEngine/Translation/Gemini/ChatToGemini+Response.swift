extension ChatToGemini {
    /// The Chat `chat.completion` for a Gemini `GenerateContentResponse`: its first candidate's
    /// text parts become `content`, its thought parts `reasoning_content`, its function calls
    /// `tool_calls`. A prompt Gemini blocked (`promptFeedback.blockReason`, no candidate) is an
    /// empty answer stopped by the content filter.
    public static func response(_ answer: JSONValue, model: String, created: Int) throws(GatewayError) -> JSONValue {
        guard case .object = answer else { throw .upstreamFailed("The upstream's answer is not a JSON object.") }
        let candidate = answer["candidates"]?.arrayValue?.first
        let blocked = candidate == nil && answer["promptFeedback"]?["blockReason"] != nil
        guard candidate != nil || blocked else { throw .upstreamFailed("The upstream's answer has no candidate.") }
        var text = ""
        var reasoning = ""
        var toolCalls: [JSONValue] = []
        for part in candidate?["content"]?["parts"]?.arrayValue ?? [] {
            if let call = part["functionCall"] {
                toolCalls.append(Self.toolCall(call, index: toolCalls.count, response: answer["responseId"]?.stringValue))
            } else if let piece = part["text"]?.stringValue {
                if part["thought"]?.boolValue == true { reasoning += piece } else { text += piece }
            }
        }
        var message: JSONObject = ["role": .string("assistant")]
        message["content"] = text.isEmpty && !toolCalls.isEmpty ? .null : .string(text)
        if !reasoning.isEmpty { message["reasoning_content"] = .string(reasoning) }
        if !toolCalls.isEmpty { message["tool_calls"] = .array(toolCalls) }
        let reason = GeminiFinishReason.openAI(
            candidate?["finishReason"]?.stringValue, blocked: blocked, hasFunctionCalls: !toolCalls.isEmpty)
        let choice: JSONObject = ["index": .int(0), "message": .object(message), "logprobs": .null, "finish_reason": .string(reason)]
        return .object([
            "id": .string(answer["responseId"]?.stringValue.map { "chatcmpl-" + $0 } ?? "chatcmpl-gateway"),
            "object": .string("chat.completion"),
            "created": .int(created),
            "model": answer["modelVersion"] ?? .string(model),
            "choices": .array([.object(choice)]),
            "usage": GeminiUsage(answer["usageMetadata"]).openAIObject,
        ])
    }

    /// A Gemini `functionCall` part's call as a Chat tool call (arguments as JSON text).
    static func toolCall(_ call: JSONValue, index: Int, response: String?) -> JSONValue {
        .object([
            "id": .string(GeminiToolCallID.id(given: call["id"]?.stringValue, index: index, response: response)),
            "type": .string("function"),
            "function": .object([
                "name": call["name"] ?? .string(""), "arguments": .string((call["args"] ?? .object([:])).encodedString),
            ]),
        ])
    }
}
