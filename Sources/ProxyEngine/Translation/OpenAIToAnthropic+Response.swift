extension OpenAIToAnthropic {
    /// The Anthropic `message` for an OpenAI `chat.completion`. Reasoning text
    /// (`reasoning_content`, as DeepSeek and GLM send it) becomes a thinking block.
    public static func response(_ completion: JSONValue) throws(GatewayError) -> JSONValue {
        guard case .object = completion, let choice = completion["choices"]?.arrayValue?.first else {
            throw .upstreamFailed("The upstream's answer has no choices.")
        }
        let message = choice["message"]
        var content: [JSONValue] = []
        if let reasoning = message?["reasoning_content"]?.stringValue, !reasoning.isEmpty {
            content.append(.object(["type": .string("thinking"), "thinking": .string(reasoning), "signature": .string("")]))
        }
        if let text = Self.text(of: message?["content"]), !text.isEmpty {
            content.append(.object(["type": .string("text"), "text": .string(text)]))
        }
        for call in message?["tool_calls"]?.arrayValue ?? [] {
            content.append(
                .object([
                    "type": .string("tool_use"),
                    "id": .string(Self.toolUseID(call["id"]?.stringValue)),
                    "name": call["function"]?["name"] ?? .string(""),
                    "input": Self.toolInput(call["function"]?["arguments"]?.stringValue ?? "{}"),
                ]))
        }
        let finishReason = choice["finish_reason"]?.stringValue
        var translated: JSONObject = [
            "id": .string(Self.messageID(completion["id"]?.stringValue)),
            "type": .string("message"),
            "role": .string("assistant"),
            "model": completion["model"] ?? .string(""),
            "content": .array(content),
        ]
        translated["stop_reason"] = .string(StopReason.anthropic(fromFinishReason: finishReason))
        translated["stop_sequence"] = .null
        translated["usage"] = TranslatedUsage(openAI: completion["usage"]).anthropicObject
        return .object(translated)
    }

    static func text(of content: JSONValue?) -> String? {
        switch content {
        case .string(let text): text
        case .array(let parts): parts.compactMap { $0["text"]?.stringValue }.joined()
        default: nil
        }
    }

    /// Anthropic ids carry a type prefix; OpenAI's are kept after it so logs on both sides match.
    static func messageID(_ id: String?) -> String {
        guard let id, !id.isEmpty else { return "msg_gateway" }
        return id.hasPrefix("msg_") ? id : "msg_" + id
    }

    static func toolUseID(_ id: String?) -> String {
        guard let id, !id.isEmpty else { return "toolu_gateway" }
        return id
    }
}
