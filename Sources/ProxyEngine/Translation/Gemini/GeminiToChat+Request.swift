/// The hub's adapter for a Gemini client: a `generateContent` request becomes a Chat Completions
/// request (this file), a Chat answer becomes a Gemini answer (`GeminiToChat+Response`), and a
/// Chat stream a Gemini stream (`GeminiToChatStream`). Pure functions of the bodies, no I/O.
public enum GeminiToChat {
    /// The Chat Completions request for a Gemini request to `model` (the model and the streaming
    /// come from the path). `candidateCount` above 1 is refused (one answer is made);
    /// `safetySettings` and `cachedContent` have no counterpart and are left out.
    public static func request(_ geminiRequest: JSONValue, model: String, stream: Bool) throws(GatewayError) -> JSONValue {
        guard case .object(let source) = geminiRequest else { throw .badRequest("The request body must be a JSON object.") }
        guard let contents = source["contents"]?.arrayValue, !contents.isEmpty else {
            throw .badRequest("'contents' is required and must not be empty.")
        }
        var messages: [JSONValue] = []
        if let system = source["systemInstruction"] ?? source["system_instruction"] {
            let text = Self.text(of: system["parts"]?.arrayValue ?? [])
            if !text.isEmpty { messages.append(.object(["role": .string("system"), "content": .string(text)])) }
        }
        var pending = PendingCalls()
        var calls = 0
        for (index, content) in contents.enumerated() {
            guard let parts = content["parts"]?.arrayValue else { throw .badRequest("'contents[\(index)].parts' is required.") }
            switch content["role"]?.stringValue ?? "user" {
            case "model":
                var toolCalls: [JSONValue] = []
                for part in parts {
                    guard let call = part["functionCall"] else { continue }
                    guard let name = call["name"]?.stringValue else {
                        throw .badRequest("'contents[\(index)]' has a functionCall without a name.")
                    }
                    let id = GeminiToolCallID.id(given: call["id"]?.stringValue, index: calls)
                    calls += 1
                    pending.add(id: id, name: name)
                    toolCalls.append(
                        .object([
                            "id": .string(id), "type": .string("function"),
                            "function": .object(["name": .string(name), "arguments": .string((call["args"] ?? .object([:])).encodedString)]
                            ),
                        ]))
                }
                var message: JSONObject = ["role": .string("assistant")]
                let text = Self.text(of: parts.filter { $0["thought"]?.boolValue != true })
                message["content"] = text.isEmpty && !toolCalls.isEmpty ? .null : .string(text)
                if !toolCalls.isEmpty { message["tool_calls"] = .array(toolCalls) }
                messages.append(.object(message))
            case "user", "function", "tool":
                var userParts: [JSONValue] = []
                for part in parts {
                    if let result = part["functionResponse"] {
                        let name = result["name"]?.stringValue ?? ""
                        let id = pending.answer(id: result["id"]?.stringValue, name: name)
                        messages.append(
                            .object([
                                "role": .string("tool"), "tool_call_id": .string(id ?? GeminiToolCallID.id(given: nil, index: calls)),
                                "content": .string((result["response"] ?? .object([:])).encodedString),
                            ]))
                    } else if let text = part["text"]?.stringValue {
                        userParts.append(.object(["type": .string("text"), "text": .string(text)]))
                    } else if let inline = part["inlineData"] ?? part["inline_data"] {
                        let mime = (inline["mimeType"] ?? inline["mime_type"])?.stringValue ?? "application/octet-stream"
                        let url = "data:\(mime);base64,\(inline["data"]?.stringValue ?? "")"
                        userParts.append(.object(["type": .string("image_url"), "image_url": .object(["url": .string(url)])]))
                    } else if let file = part["fileData"] ?? part["file_data"], let uri = (file["fileUri"] ?? file["file_uri"])?.stringValue
                    {
                        userParts.append(.object(["type": .string("image_url"), "image_url": .object(["url": .string(uri)])]))
                    } else {
                        throw .badRequest("'contents[\(index)]' has a part this model's provider cannot take.")
                    }
                }
                if !userParts.isEmpty {
                    let plain = userParts.allSatisfy { $0["type"]?.stringValue == "text" }
                    let content: JSONValue = plain ? .string(userParts.compactMap { $0["text"]?.stringValue }.joined()) : .array(userParts)
                    messages.append(.object(["role": .string("user"), "content": content]))
                }
            default:
                throw .badRequest("'contents[\(index)].role' must be user or model.")
            }
        }
        var request: JSONObject = ["model": .string(model), "messages": .array(messages)]
        try Self.applyGenerationConfig(source["generationConfig"] ?? source["generation_config"], to: &request)
        let declarations = (source["tools"]?.arrayValue ?? []).flatMap {
            ($0["functionDeclarations"] ?? $0["function_declarations"])?.arrayValue ?? []
        }
        if !declarations.isEmpty { request["tools"] = .array(declarations.compactMap(Self.tool)) }
        if let choice = Self.toolChoice(source["toolConfig"] ?? source["tool_config"]), !declarations.isEmpty {
            request["tool_choice"] = choice
        }
        if stream {
            request["stream"] = .bool(true)
            request["stream_options"] = .object(["include_usage": .bool(true)])
        }
        return .object(request)
    }

    static func text(of parts: [JSONValue]) -> String {
        parts.compactMap { $0["text"]?.stringValue }.joined()
    }

    private static func applyGenerationConfig(_ config: JSONValue?, to request: inout JSONObject) throws(GatewayError) {
        guard let config else { return }
        guard case .object = config else { throw .badRequest("'generationConfig' must be an object.") }
        if let count = (config["candidateCount"] ?? config["candidate_count"])?.intValue, count > 1 {
            throw .badRequest("'generationConfig.candidateCount' greater than 1 is not supported by this model's provider.")
        }
        if let limit = (config["maxOutputTokens"] ?? config["max_output_tokens"])?.intValue {
            guard limit >= 0 else { throw .badRequest("'generationConfig.maxOutputTokens' must be a non-negative integer.") }
            request["max_tokens"] = .int(limit)
        }
        if let temperature = config["temperature"], temperature.doubleValue != nil { request["temperature"] = temperature }
        if let topP = config["topP"] ?? config["top_p"], topP.doubleValue != nil { request["top_p"] = topP }
        if let stops = (config["stopSequences"] ?? config["stop_sequences"])?.arrayValue, !stops.isEmpty { request["stop"] = .array(stops) }
        if let seed = config["seed"]?.intValue { request["seed"] = .int(seed) }
        if let penalty = config["presencePenalty"] ?? config["presence_penalty"], penalty.doubleValue != nil {
            request["presence_penalty"] = penalty
        }
        if let penalty = config["frequencyPenalty"] ?? config["frequency_penalty"], penalty.doubleValue != nil {
            request["frequency_penalty"] = penalty
        }
        if (config["responseMimeType"] ?? config["response_mime_type"])?.stringValue == "application/json" {
            if let schema = config["responseJsonSchema"] ?? config["response_json_schema"] ?? config["responseSchema"]
                ?? config["response_schema"]
            {
                request["response_format"] = .object([
                    "type": .string("json_schema"),
                    "json_schema": .object(["name": .string("response"), "schema": Self.jsonSchema(schema)]),
                ])
            } else {
                request["response_format"] = .object(["type": .string("json_object")])
            }
        }
        if let thinking = config["thinkingConfig"] ?? config["thinking_config"] {
            if let level = (thinking["thinkingLevel"] ?? thinking["thinking_level"])?.stringValue {
                request["reasoning_effort"] = .string(level.lowercased())
            } else if let budget = (thinking["thinkingBudget"] ?? thinking["thinking_budget"])?.intValue, budget != 0 {
                // -1 is Gemini's "as the model sees fit".
                request["reasoning_effort"] = .string(budget < 0 ? "medium" : ReasoningBudget.effort(forBudget: budget))
            }
        }
    }

    private static func tool(_ declaration: JSONValue) -> JSONValue? {
        guard let name = declaration["name"] else { return nil }
        var function: JSONObject = ["name": name]
        if let description = declaration["description"] { function["description"] = description }
        if let schema = declaration["parametersJsonSchema"] ?? declaration["parameters_json_schema"] {
            function["parameters"] = schema
        } else if let schema = declaration["parameters"] {
            function["parameters"] = Self.jsonSchema(schema)
        } else {
            function["parameters"] = .object(["type": .string("object"), "properties": .object([:])])
        }
        return .object(["type": .string("function"), "function": .object(function)])
    }

    /// Google's OpenAPI schema subset as JSON Schema: its type names are upper case (`OBJECT`).
    /// Recursive over a body already parsed, so bounded by the parser's depth limit.
    static func jsonSchema(_ schema: JSONValue) -> JSONValue {
        switch schema {
        case .object(let object):
            var converted = JSONObject()
            for (key, value) in object.members {
                if key == "type", let name = value.stringValue {
                    converted[key] = .string(name.lowercased())
                } else if key == "properties", case .object(let properties) = value {
                    var mapped = JSONObject()
                    for (name, property) in properties.members { mapped[name] = Self.jsonSchema(property) }
                    converted[key] = .object(mapped)
                } else {
                    converted[key] = Self.jsonSchema(value)
                }
            }
            return .object(converted)
        case .array(let items): return .array(items.map(Self.jsonSchema))
        default: return schema
        }
    }

    private static func toolChoice(_ config: JSONValue?) -> JSONValue? {
        let calling = config?["functionCallingConfig"] ?? config?["function_calling_config"]
        let names = (calling?["allowedFunctionNames"] ?? calling?["allowed_function_names"])?.arrayValue ?? []
        switch calling?["mode"]?.stringValue?.uppercased() {
        case "AUTO"?: return .string("auto")
        case "NONE"?: return .string("none")
        case "ANY"?:
            if names.count == 1, let name = names[0].stringValue {
                return .object(["type": .string("function"), "function": .object(["name": .string(name)])])
            }
            return .string("required")
        default: return nil
        }
    }
}
