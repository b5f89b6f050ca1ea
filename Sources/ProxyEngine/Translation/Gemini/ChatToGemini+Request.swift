/// The hub's adapter for a Gemini upstream: a Chat Completions request becomes a
/// `generateContent` request (this file), a Gemini answer becomes a Chat answer
/// (`ChatToGemini+Response`), and a Gemini stream a Chat stream (`ChatToGeminiStream`). Pure
/// functions of the bodies, no I/O.
public enum ChatToGemini {
    /// The `generateContent` request for a Chat Completions request. The model and whether it
    /// streams go in the path (see `GeminiPath`), not in the body.
    ///
    /// `n` above 1 is refused (one candidate is read); `logprobs` and `logit_bias` have no
    /// counterpart and are left out.
    public static func request(_ chatRequest: JSONValue) throws(GatewayError) -> JSONValue {
        guard case .object(let source) = chatRequest else { throw .badRequest("The request body must be a JSON object.") }
        guard let messages = source["messages"]?.arrayValue else { throw .badRequest("'messages' is required.") }
        if let n = source["n"]?.intValue, n > 1 {
            throw .badRequest("'n' greater than 1 is not supported by this model's provider.")
        }
        var systemTexts: [String] = []
        var contents: [(role: String, parts: [JSONValue])] = []
        // A tool result names its call by id; Gemini names the function: the ids of the calls made.
        var callNames: [String: String] = [:]
        for (index, message) in messages.enumerated() {
            switch message["role"]?.stringValue ?? "" {
            case "system", "developer":
                systemTexts.append(try AnthropicToOpenAI.joinedText(message["content"] ?? .string(""), field: "messages[\(index)].content"))
            case "user":
                Self.append(role: "user", parts: try Self.userParts(message["content"], at: index), to: &contents)
            case "assistant":
                for call in message["tool_calls"]?.arrayValue ?? [] {
                    if let id = call["id"]?.stringValue, let name = call["function"]?["name"]?.stringValue { callNames[id] = name }
                }
                Self.append(role: "model", parts: Self.modelParts(message), to: &contents)
            case "tool", "function":
                let text = try AnthropicToOpenAI.joinedText(message["content"] ?? .string(""), field: "messages[\(index)].content")
                let id = message["tool_call_id"]?.stringValue
                let name = id.flatMap { callNames[$0] } ?? message["name"]?.stringValue ?? id ?? "tool"
                var response: JSONObject = ["name": .string(name), "response": Self.functionResponse(text)]
                if let id, !GeminiToolCallID.isGateways(id) { response["id"] = .string(id) }
                Self.append(role: "user", parts: [.object(["functionResponse": .object(response)])], to: &contents)
            default:
                throw .badRequest("'messages[\(index)].role' must be one of system, developer, user, assistant, tool.")
            }
        }
        var request = JSONObject()
        if !systemTexts.isEmpty {
            request["systemInstruction"] = .object(["parts": .array([.object(["text": .string(systemTexts.joined(separator: "\n\n"))])])])
        }
        request["contents"] = .array(contents.map { .object(["role": .string($0.role), "parts": .array($0.parts)]) })
        if let tools = source["tools"]?.arrayValue {
            let declarations = tools.compactMap(Self.declaration)
            if !declarations.isEmpty { request["tools"] = .array([.object(["functionDeclarations": .array(declarations)])]) }
        }
        if let mode = Self.functionCallingConfig(source["tool_choice"]) {
            request["toolConfig"] = .object(["functionCallingConfig": .object(mode)])
        }
        let config = Self.generationConfig(source)
        if !config.isEmpty { request["generationConfig"] = .object(config) }
        return .object(request)
    }

    private static func generationConfig(_ source: JSONObject) -> JSONObject {
        var config = JSONObject()
        if let limit = (source["max_completion_tokens"] ?? source["max_tokens"])?.intValue { config["maxOutputTokens"] = .int(limit) }
        if let temperature = source["temperature"], temperature.doubleValue != nil { config["temperature"] = temperature }
        if let topP = source["top_p"], topP.doubleValue != nil { config["topP"] = topP }
        switch source["stop"] {
        case .string(let stop)?: config["stopSequences"] = .array([.string(stop)])
        case .array(let stops)? where !stops.isEmpty: config["stopSequences"] = .array(stops)
        default: break
        }
        if let seed = source["seed"]?.intValue { config["seed"] = .int(seed) }
        if let penalty = source["presence_penalty"], penalty.doubleValue != nil { config["presencePenalty"] = penalty }
        if let penalty = source["frequency_penalty"], penalty.doubleValue != nil { config["frequencyPenalty"] = penalty }
        switch source["response_format"]?["type"]?.stringValue {
        case "json_object": config["responseMimeType"] = .string("application/json")
        case "json_schema":
            config["responseMimeType"] = .string("application/json")
            if let schema = source["response_format"]?["json_schema"]?["schema"] { config["responseJsonSchema"] = schema }
        default: break
        }
        if let effort = source["reasoning_effort"]?.stringValue {
            // `none` turns thinking off (a budget of 0); the others are the hub's budgets.
            let budget = effort == "none" ? 0 : ReasoningBudget.budget(forEffort: effort)
            if let budget {
                config["thinkingConfig"] = .object(["thinkingBudget": .int(budget), "includeThoughts": .bool(budget > 0)])
            }
        }
        return config
    }

    /// Gemini takes alternating turns more readily than repeated ones: a run of one role's
    /// messages (a batch of tool results, say) becomes one content.
    private static func append(role: String, parts: [JSONValue], to contents: inout [(role: String, parts: [JSONValue])]) {
        guard !parts.isEmpty else { return }
        // Compared in place: a copy of the last content would make each append copy its parts
        // (quadratic in a long run of tool results).
        if contents.last?.role == role {
            contents[contents.count - 1].parts += parts
        } else {
            contents.append((role: role, parts: parts))
        }
    }

    private static func userParts(_ content: JSONValue?, at index: Int) throws(GatewayError) -> [JSONValue] {
        switch content {
        case .string(let text):
            return [.object(["text": .string(text)])]
        case .array(let parts):
            var converted: [JSONValue] = []
            for part in parts {
                switch part["type"]?.stringValue {
                case "text":
                    converted.append(.object(["text": part["text"] ?? .string("")]))
                case "image_url":
                    guard let url = (part["image_url"]?["url"] ?? part["image_url"])?.stringValue else {
                        throw .badRequest("'messages[\(index)]' has an image_url part without a URL.")
                    }
                    converted.append(Self.imagePart(url))
                default:
                    throw .badRequest("'messages[\(index)]' has a content part this model's provider cannot take.")
                }
            }
            return converted
        default:
            throw .badRequest("'messages[\(index)].content' must be a string or an array of parts.")
        }
    }

    /// A data URL as inline data; any other URL as file data.
    static func imagePart(_ url: String) -> JSONValue {
        let source = OpenAIToAnthropic.imageSource(url)
        if source["type"]?.stringValue == "base64" {
            return .object([
                "inlineData": .object(["mimeType": source["media_type"] ?? .string(""), "data": source["data"] ?? .string("")])
            ])
        }
        return .object(["fileData": .object(["fileUri": .string(url)])])
    }

    private static func modelParts(_ message: JSONValue) -> [JSONValue] {
        var parts: [JSONValue] = []
        let text: String
        switch message["content"] {
        case .string(let value): text = value
        case .array(let items): text = items.compactMap { $0["text"]?.stringValue }.joined()
        default: text = ""
        }
        if !text.isEmpty { parts.append(.object(["text": .string(text)])) }
        for call in message["tool_calls"]?.arrayValue ?? [] {
            let arguments = call["function"]?["arguments"]?.stringValue ?? "{}"
            var functionCall: JSONObject = [
                "name": call["function"]?["name"] ?? .string(""), "args": OpenAIToAnthropic.toolInput(arguments),
            ]
            if let id = call["id"]?.stringValue, !GeminiToolCallID.isGateways(id) { functionCall["id"] = .string(id) }
            // Gemini 3 refuses a replayed call without the signature its answer carried, which
            // the hub does not keep: Google's documented value for calls from elsewhere.
            parts.append(.object(["functionCall": .object(functionCall), "thoughtSignature": .string(Self.foreignCallSignature)]))
        }
        return parts
    }

    /// The `thoughtSignature` Google documents for function calls it did not sign (a
    /// conversation moved from another model).
    static let foreignCallSignature = "skip_thought_signature_validator"

    /// A function's result must be an object: JSON text that is one goes as it is, anything else
    /// as `{"content": text}`.
    static func functionResponse(_ text: String) -> JSONValue {
        if let parsed = JSONValue(parsing: text), case .object = parsed { return parsed }
        return .object(["content": .string(text)])
    }

    private static func declaration(_ tool: JSONValue) -> JSONValue? {
        guard tool["type"]?.stringValue == "function", let function = tool["function"], let name = function["name"] else { return nil }
        var declaration: JSONObject = ["name": name]
        if let description = function["description"] { declaration["description"] = description }
        // JSON Schema as the client wrote it: `parameters` takes only Google's OpenAPI subset.
        if let parameters = function["parameters"] { declaration["parametersJsonSchema"] = parameters }
        return .object(declaration)
    }

    private static func functionCallingConfig(_ choice: JSONValue?) -> JSONObject? {
        switch choice {
        case .string("auto")?: return ["mode": .string("AUTO")]
        case .string("required")?: return ["mode": .string("ANY")]
        case .string("none")?: return ["mode": .string("NONE")]
        case .object(let choice)?:
            guard let name = choice["function"]?["name"] else { return nil }
            return ["mode": .string("ANY"), "allowedFunctionNames": .array([name])]
        default: return nil
        }
    }
}
