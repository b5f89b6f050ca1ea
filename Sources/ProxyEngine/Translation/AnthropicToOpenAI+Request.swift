/// Translation from the Anthropic Messages format to OpenAI Chat Completions: a Messages request
/// becomes a Chat request (this file), and an upstream's Chat answers become Messages answers
/// (`OpenAIToAnthropic`). Pure functions of the bodies, no I/O.
public enum AnthropicToOpenAI {
    /// The OpenAI Chat Completions request for an Anthropic Messages request, sent as `model`.
    ///
    /// What has no OpenAI counterpart is left out: `top_k`, cache-control marks, thinking blocks
    /// of earlier turns, and server tools (tools without an `input_schema`).
    public static func request(_ messagesRequest: JSONValue, model: String) throws(GatewayError) -> JSONValue {
        guard case .object(let source) = messagesRequest else { throw .badRequest("The request body must be a JSON object.") }
        guard let messages = source["messages"]?.arrayValue else { throw .badRequest("'messages' is required.") }
        var chat = JSONObject()
        chat["model"] = .string(model)
        var chatMessages: [JSONValue] = []
        if let system = source["system"] {
            let text = try Self.joinedText(system, field: "system")
            if !text.isEmpty { chatMessages.append(.object(["role": .string("system"), "content": .string(text)])) }
        }
        for (index, message) in messages.enumerated() {
            chatMessages += try Self.chatMessages(message, at: index)
        }
        chat["messages"] = .array(chatMessages)
        if let maxTokens = source["max_tokens"] { chat["max_tokens"] = maxTokens }
        if let temperature = source["temperature"] { chat["temperature"] = temperature }
        if let topP = source["top_p"] { chat["top_p"] = topP }
        if let stops = source["stop_sequences"]?.arrayValue, !stops.isEmpty { chat["stop"] = .array(stops) }
        if source["stream"]?.boolValue == true {
            chat["stream"] = .bool(true)
            // Usage only comes with the stream when asked for; the Messages stream always has it.
            chat["stream_options"] = .object(["include_usage": .bool(true)])
        }
        if let tools = source["tools"]?.arrayValue {
            let functions = tools.compactMap(Self.function)
            if !functions.isEmpty { chat["tools"] = .array(functions) }
        }
        if let choice = source["tool_choice"]?.objectValue {
            switch choice["type"]?.stringValue {
            case "auto": chat["tool_choice"] = .string("auto")
            case "any": chat["tool_choice"] = .string("required")
            case "none": chat["tool_choice"] = .string("none")
            case "tool":
                let name = choice["name"] ?? .string("")
                chat["tool_choice"] = .object(["type": .string("function"), "function": .object(["name": name])])
            default: break
            }
            if choice["disable_parallel_tool_use"]?.boolValue == true, chat["tools"] != nil {
                chat["parallel_tool_calls"] = .bool(false)
            }
        }
        if let user = source["metadata"]?["user_id"], case .string = user { chat["user"] = user }
        if let effort = source["output_config"]?["effort"]?.stringValue, ["low", "medium", "high", "max"].contains(effort) {
            chat["reasoning_effort"] = .string(effort == "max" ? "high" : effort)
        } else if let thinking = source["thinking"]?.objectValue {
            switch thinking["type"]?.stringValue {
            case "enabled": chat["reasoning_effort"] = .string(ReasoningBudget.effort(forBudget: thinking["budget_tokens"]?.intValue ?? 0))
            // The model decides how long to think: OpenAI's default effort says the same.
            case "adaptive": chat["reasoning_effort"] = .string("medium")
            default: break
            }
        }
        return .object(chat)
    }

    /// One Messages turn as Chat messages: a user turn's tool results become `tool` messages
    /// (which must directly follow the assistant's calls), the rest one user message.
    static func chatMessages(_ message: JSONValue, at index: Int) throws(GatewayError) -> [JSONValue] {
        guard let role = message["role"]?.stringValue, ["user", "assistant", "system"].contains(role) else {
            throw .badRequest("'messages[\(index)].role' must be \"user\", \"assistant\" or \"system\".")
        }
        guard let content = message["content"] else { throw .badRequest("'messages[\(index)].content' is required.") }
        if role == "system" {
            // Claude Code sends its environment this way for a model name it does not know: a
            // system message at its place in the conversation, which Chat has too.
            let text = try Self.joinedText(content, field: "messages[\(index)].content")
            return text.isEmpty ? [] : [.object(["role": .string("system"), "content": .string(text)])]
        }
        if case .string = content { return [.object(["role": .string(role), "content": content])] }
        guard let blocks = content.arrayValue else {
            throw .badRequest("'messages[\(index)].content' must be a string or an array of content blocks.")
        }
        return role == "user" ? try Self.userMessages(blocks, at: index) : try Self.assistantMessage(blocks, at: index)
    }

    private static func userMessages(_ blocks: [JSONValue], at index: Int) throws(GatewayError) -> [JSONValue] {
        var toolMessages: [JSONValue] = []
        var parts: [JSONValue] = []
        for block in blocks {
            switch block["type"]?.stringValue {
            case "text":
                parts.append(.object(["type": .string("text"), "text": block["text"] ?? .string("")]))
            case "image":
                guard let url = Self.imageURL(block["source"]) else {
                    throw .badRequest("'messages[\(index)]' has an image whose source is neither base64 nor a URL.")
                }
                parts.append(.object(["type": .string("image_url"), "image_url": .object(["url": .string(url)])]))
            case "tool_result":
                var text = try Self.joinedText(block["content"] ?? .string(""), field: "messages[\(index)].content.tool_result")
                if block["is_error"]?.boolValue == true, !text.hasPrefix("Error") { text = "Error: " + text }
                toolMessages.append(
                    .object([
                        "role": .string("tool"), "tool_call_id": block["tool_use_id"] ?? .string(""), "content": .string(text),
                    ]))
            case "document":
                if let text = block["source"]?["data"]?.stringValue, block["source"]?["type"]?.stringValue == "text" {
                    parts.append(.object(["type": .string("text"), "text": .string(text)]))
                }
            default:
                continue
            }
        }
        guard !parts.isEmpty else { return toolMessages }
        return toolMessages + [.object(["role": .string("user"), "content": Self.chatContent(parts)])]
    }

    private static func assistantMessage(_ blocks: [JSONValue], at index: Int) throws(GatewayError) -> [JSONValue] {
        var texts: [String] = []
        var toolCalls: [JSONValue] = []
        for block in blocks {
            switch block["type"]?.stringValue {
            case "text":
                texts.append(block["text"]?.stringValue ?? "")
            case "tool_use":
                let arguments = (block["input"] ?? .object([:])).encodedString
                toolCalls.append(
                    .object([
                        "id": block["id"] ?? .string(""), "type": .string("function"),
                        "function": .object(["name": block["name"] ?? .string(""), "arguments": .string(arguments)]),
                    ]))
            default:
                // Thinking blocks of earlier turns have no Chat counterpart.
                continue
            }
        }
        var message: JSONObject = ["role": .string("assistant")]
        message["content"] = texts.isEmpty ? .null : .string(texts.joined())
        if !toolCalls.isEmpty { message["tool_calls"] = .array(toolCalls) }
        return [.object(message)]
    }

    /// A single text part as a plain string (which every OpenAI-compatible server accepts);
    /// several parts, or any image, as an array of parts.
    private static func chatContent(_ parts: [JSONValue]) -> JSONValue {
        if parts.count == 1, let text = parts[0]["text"] { return text }
        return .array(parts)
    }

    private static func imageURL(_ source: JSONValue?) -> String? {
        switch source?["type"]?.stringValue {
        case "base64":
            guard let mediaType = source?["media_type"]?.stringValue, let data = source?["data"]?.stringValue else { return nil }
            return "data:\(mediaType);base64,\(data)"
        case "url":
            return source?["url"]?.stringValue
        default:
            return nil
        }
    }

    /// A Messages tool as a Chat function tool; server tools (no schema) have no counterpart.
    private static func function(_ tool: JSONValue) -> JSONValue? {
        guard let name = tool["name"], let schema = tool["input_schema"] else { return nil }
        var function: JSONObject = ["name": name]
        if let description = tool["description"] { function["description"] = description }
        function["parameters"] = schema
        return .object(["type": .string("function"), "function": .object(function)])
    }

    /// A string, or the text of an array of blocks, joined by blank lines.
    static func joinedText(_ value: JSONValue, field: String) throws(GatewayError) -> String {
        switch value {
        case .string(let text): return text
        case .array(let blocks):
            return blocks.compactMap { $0["text"]?.stringValue }.joined(separator: "\n\n")
        default: throw .badRequest("'\(field)' must be a string or an array of text blocks.")
        }
    }
}

/// Anthropic's `thinking.budget_tokens` and OpenAI's `reasoning_effort` describe the same knob
/// in different units; these are the points where one maps to the other.
public enum ReasoningBudget {
    public static func effort(forBudget budget: Int) -> String {
        switch budget {
        case ..<4096: "low"
        case ..<16384: "medium"
        default: "high"
        }
    }

    public static func budget(forEffort effort: String) -> Int? {
        switch effort {
        case "minimal", "low": 1024
        case "medium": 8192
        case "high": 24576
        // Above high (the Responses API's `xhigh`, Anthropic's `max`): most of an agent's
        // 32,000-token turn.
        case "xhigh", "max": 30000
        default: nil
        }
    }
}
