extension GeminiToChat {
    /// The Gemini `GenerateContentResponse` for a Chat `chat.completion`: reasoning becomes a
    /// thought part, text a text part, each tool call a `functionCall` part; the content filter
    /// is Gemini's `SAFETY`.
    public static func response(_ completion: JSONValue, model: String) throws(GatewayError) -> JSONValue {
        guard case .object = completion, let choice = completion["choices"]?.arrayValue?.first, let message = choice["message"] else {
            throw .upstreamFailed("The upstream's answer has no choice.")
        }
        var parts: [JSONValue] = []
        if let reasoning = message["reasoning_content"]?.stringValue, !reasoning.isEmpty {
            parts.append(.object(["text": .string(reasoning), "thought": .bool(true)]))
        }
        let text: String
        switch message["content"] {
        case .string(let value)?: text = value
        case .array(let items)?: text = items.compactMap { $0["text"]?.stringValue }.joined()
        default: text = message["refusal"]?.stringValue ?? ""
        }
        if !text.isEmpty { parts.append(.object(["text": .string(text)])) }
        for call in message["tool_calls"]?.arrayValue ?? [] {
            parts.append(Self.functionCallPart(call))
        }
        var usage = GeminiUsage(TranslatedUsage(openAI: completion["usage"]))
        usage.usage.reasoningTokens = min(usage.usage.reasoningTokens, usage.usage.outputTokens)
        let candidate: JSONObject = [
            "content": .object(["role": .string("model"), "parts": .array(parts)]),
            "finishReason": .string(GeminiFinishReason.gemini(fromFinishReason: choice["finish_reason"]?.stringValue)),
            "index": .int(0),
        ]
        return .object([
            "candidates": .array([.object(candidate)]),
            "usageMetadata": usage.geminiObject,
            "modelVersion": .string(model),
            "responseId": completion["id"] ?? .string("gateway"),
        ])
    }

    /// A Chat tool call as a `functionCall` part (arguments as an object).
    static func functionCallPart(_ call: JSONValue) -> JSONValue {
        let arguments = call["function"]?["arguments"]?.stringValue ?? "{}"
        var functionCall: JSONObject = [
            "name": call["function"]?["name"] ?? .string(""), "args": OpenAIToAnthropic.toolInput(arguments),
        ]
        if let id = call["id"]?.stringValue, !id.isEmpty { functionCall["id"] = .string(id) }
        return .object(["functionCall": .object(functionCall)])
    }
}
