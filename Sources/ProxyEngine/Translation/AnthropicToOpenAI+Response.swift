extension AnthropicToOpenAI {
    /// The OpenAI `chat.completion` for an Anthropic `message`. Thinking blocks become
    /// `reasoning_content`, the field DeepSeek and GLM use for it.
    /// `carriesSignatures`: a lone thinking block's signature goes on as `reasoning_signature`,
    /// for the Responses adapter that follows in the hub.
    public static func response(_ message: JSONValue, created: Int, carriesSignatures: Bool = false) throws(GatewayError) -> JSONValue {
        guard case .object = message, let blocks = message["content"]?.arrayValue else {
            throw .upstreamFailed("The upstream's answer has no content.")
        }
        var text = ""
        var reasoning = ""
        var toolCalls: [JSONValue] = []
        let signatures = blocks.filter { $0["type"]?.stringValue == "thinking" }.compactMap { $0["signature"]?.stringValue }
        for block in blocks {
            switch block["type"]?.stringValue {
            case "text": text += block["text"]?.stringValue ?? ""
            case "thinking": reasoning += block["thinking"]?.stringValue ?? ""
            case "tool_use":
                toolCalls.append(
                    .object([
                        "id": block["id"] ?? .string(""), "type": .string("function"),
                        "function": .object([
                            "name": block["name"] ?? .string(""), "arguments": .string((block["input"] ?? .object([:])).encodedString),
                        ]),
                    ]))
            default: continue
            }
        }
        var chatMessage: JSONObject = ["role": .string("assistant")]
        chatMessage["content"] = text.isEmpty && !toolCalls.isEmpty ? .null : .string(text)
        if !reasoning.isEmpty { chatMessage["reasoning_content"] = .string(reasoning) }
        // Joined thinking blocks no longer match their signatures: only a lone one is carried.
        if carriesSignatures, signatures.count == 1 { chatMessage["reasoning_signature"] = .string(signatures[0]) }
        if !toolCalls.isEmpty { chatMessage["tool_calls"] = .array(toolCalls) }
        var choice: JSONObject = ["index": .int(0), "message": .object(chatMessage), "logprobs": .null]
        choice["finish_reason"] = .string(StopReason.openAI(fromStopReason: message["stop_reason"]?.stringValue))
        var completion: JSONObject = [
            "id": message["id"] ?? .string("msg_gateway"),
            "object": .string("chat.completion"),
            "created": .int(created),
            "model": message["model"] ?? .string(""),
        ]
        completion["choices"] = .array([.object(choice)])
        completion["usage"] = TranslatedUsage(anthropic: message["usage"]).openAIObject
        return .object(completion)
    }
}
