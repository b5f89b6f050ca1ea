/// Translation from OpenAI Chat Completions to the Anthropic Messages format: a Chat request
/// becomes a Messages request (this file), and an upstream's Messages answers become Chat
/// answers (`AnthropicToOpenAI`). Pure functions of the bodies, no I/O.
public enum OpenAIToAnthropic {
    /// Messages requires `max_tokens`; Chat does not. Used when the client gave none.
    public static let defaultMaxTokens = 4096

    /// The Anthropic Messages request for an OpenAI Chat Completions request, sent as `model`.
    ///
    /// `n` above 1 cannot be served (Messages has one answer per request) and is refused;
    /// `response_format`, `logprobs`, `seed` and the penalties have no counterpart and are left out.
    public static func request(_ chatRequest: JSONValue, model: String) throws(GatewayError) -> JSONValue {
        guard case .object(let source) = chatRequest else { throw .badRequest("The request body must be a JSON object.") }
        guard let messages = source["messages"]?.arrayValue else { throw .badRequest("'messages' is required.") }
        if let n = source["n"]?.intValue, n > 1 {
            throw .badRequest("'n' greater than 1 is not supported by this model's provider.")
        }
        var systemTexts: [String] = []
        var turns: [(role: String, blocks: [JSONValue])] = []
        for (index, message) in messages.enumerated() {
            let role = message["role"]?.stringValue ?? ""
            switch role {
            case "system", "developer":
                systemTexts.append(try AnthropicToOpenAI.joinedText(message["content"] ?? .string(""), field: "messages[\(index)].content"))
            case "user":
                Self.append(role: "user", blocks: try Self.userBlocks(message["content"], at: index), to: &turns)
            case "assistant":
                Self.append(role: "assistant", blocks: Self.assistantBlocks(message), to: &turns)
            case "tool", "function":
                let content = try AnthropicToOpenAI.joinedText(message["content"] ?? .string(""), field: "messages[\(index)].content")
                let result: JSONObject = [
                    "type": .string("tool_result"),
                    "tool_use_id": message["tool_call_id"] ?? message["name"] ?? .string(""),
                    "content": .string(content),
                ]
                Self.append(role: "user", blocks: [.object(result)], to: &turns)
            default:
                throw .badRequest("'messages[\(index)].role' must be one of system, developer, user, assistant, tool.")
            }
        }
        var request = JSONObject()
        request["model"] = .string(model)
        var maxTokens = (source["max_completion_tokens"] ?? source["max_tokens"])?.intValue ?? Self.defaultMaxTokens
        if !systemTexts.isEmpty { request["system"] = .string(systemTexts.joined(separator: "\n\n")) }
        request["messages"] = .array(turns.map { .object(["role": .string($0.role), "content": .array($0.blocks)]) })
        var thinkingBudget: Int?
        if let effort = source["reasoning_effort"]?.stringValue, let budget = ReasoningBudget.budget(forEffort: effort) {
            thinkingBudget = budget
            // Messages requires the budget to be below max_tokens.
            maxTokens = max(maxTokens, budget + 1024)
        }
        request["max_tokens"] = .int(maxTokens)
        if let stop = source["stop"] {
            switch stop {
            case .string: request["stop_sequences"] = .array([stop])
            case .array(let stops) where !stops.isEmpty: request["stop_sequences"] = stop
            default: break
            }
        }
        if let thinkingBudget {
            // Extended thinking does not take temperature or top_p changes.
            request["thinking"] = .object(["type": .string("enabled"), "budget_tokens": .int(thinkingBudget)])
        } else {
            // Messages takes temperature in 0...1, Chat in 0...2.
            if let temperature = source["temperature"]?.doubleValue { request["temperature"] = .double(min(1, max(0, temperature))) }
            if let topP = source["top_p"] { request["top_p"] = topP }
        }
        if source["stream"]?.boolValue == true { request["stream"] = .bool(true) }
        if let tools = source["tools"]?.arrayValue {
            let converted = tools.compactMap(Self.tool)
            if !converted.isEmpty { request["tools"] = .array(converted) }
        }
        var toolChoice: JSONObject?
        switch source["tool_choice"] {
        case .string("auto"): toolChoice = ["type": .string("auto")]
        case .string("required"): toolChoice = ["type": .string("any")]
        case .string("none"): toolChoice = ["type": .string("none")]
        case .object(let choice):
            if let name = choice["function"]?["name"] { toolChoice = ["type": .string("tool"), "name": name] }
        default: break
        }
        if source["parallel_tool_calls"]?.boolValue == false, request["tools"] != nil {
            if toolChoice == nil { toolChoice = ["type": .string("auto")] }
            toolChoice?["disable_parallel_tool_use"] = .bool(true)
        }
        if let toolChoice, request["tools"] != nil || toolChoice["type"] == .string("none") { request["tool_choice"] = .object(toolChoice) }
        if let user = source["user"], case .string = user { request["metadata"] = .object(["user_id": user]) }
        return .object(request)
    }

    /// Messages turns alternate; consecutive Chat messages of one role (a run of tool results,
    /// say) become one turn.
    private static func append(role: String, blocks: [JSONValue], to turns: inout [(role: String, blocks: [JSONValue])]) {
        guard !blocks.isEmpty else { return }
        if let last = turns.last, last.role == role {
            turns[turns.count - 1].blocks += blocks
        } else {
            turns.append((role: role, blocks: blocks))
        }
    }

    private static func userBlocks(_ content: JSONValue?, at index: Int) throws(GatewayError) -> [JSONValue] {
        switch content {
        case .string(let text):
            return [.object(["type": .string("text"), "text": .string(text)])]
        case .array(let parts):
            var blocks: [JSONValue] = []
            for part in parts {
                switch part["type"]?.stringValue {
                case "text":
                    blocks.append(.object(["type": .string("text"), "text": part["text"] ?? .string("")]))
                case "image_url":
                    guard let url = (part["image_url"]?["url"] ?? part["image_url"])?.stringValue else {
                        throw .badRequest("'messages[\(index)]' has an image_url part without a URL.")
                    }
                    blocks.append(.object(["type": .string("image"), "source": .object(Self.imageSource(url))]))
                default:
                    throw .badRequest("'messages[\(index)]' has a content part this model's provider cannot take.")
                }
            }
            return blocks
        default:
            throw .badRequest("'messages[\(index)].content' must be a string or an array of parts.")
        }
    }

    /// A data URL as a base64 image source; anything else as a URL source.
    static func imageSource(_ url: String) -> JSONObject {
        if url.hasPrefix("data:"), let comma = url.firstIndex(of: ","), let semicolon = url.firstIndex(of: ";"), semicolon < comma {
            let mediaType = url[url.index(url.startIndex, offsetBy: 5)..<semicolon]
            return [
                "type": .string("base64"), "media_type": .string(String(mediaType)),
                "data": .string(String(url[url.index(after: comma)...])),
            ]
        }
        return ["type": .string("url"), "url": .string(url)]
    }

    private static func assistantBlocks(_ message: JSONValue) -> [JSONValue] {
        var blocks: [JSONValue] = []
        // A signed thinking block, restored (Claude checks the signature, so it must be the one
        // it wrote): tool use with thinking needs the turn's thinking first.
        if let thinking = message["reasoning_content"]?.stringValue, let signature = message["reasoning_signature"]?.stringValue {
            blocks.append(.object(["type": .string("thinking"), "thinking": .string(thinking), "signature": .string(signature)]))
        }
        let text: String
        switch message["content"] {
        case .string(let value): text = value
        case .array(let parts): text = parts.compactMap { $0["text"]?.stringValue }.joined()
        default: text = ""
        }
        if !text.isEmpty { blocks.append(.object(["type": .string("text"), "text": .string(text)])) }
        for call in message["tool_calls"]?.arrayValue ?? [] {
            let arguments = call["function"]?["arguments"]?.stringValue ?? "{}"
            blocks.append(
                .object([
                    "type": .string("tool_use"), "id": call["id"] ?? .string(""), "name": call["function"]?["name"] ?? .string(""),
                    "input": Self.toolInput(arguments),
                ]))
        }
        return blocks
    }

    /// Messages wants a tool's input as an object; Chat carries it as JSON text, which a model
    /// may have left invalid.
    static func toolInput(_ arguments: String) -> JSONValue {
        if let parsed = JSONValue(parsing: arguments), case .object = parsed { return parsed }
        return .object([:])
    }

    private static func tool(_ tool: JSONValue) -> JSONValue? {
        guard tool["type"]?.stringValue == "function", let function = tool["function"], let name = function["name"] else { return nil }
        var converted: JSONObject = ["name": name]
        if let description = function["description"] { converted["description"] = description }
        converted["input_schema"] = function["parameters"] ?? .object(["type": .string("object"), "properties": .object([:])])
        return .object(converted)
    }
}
