/// Translation from the OpenAI Responses API to Chat Completions, the gateway's hub format: a
/// Responses request becomes a Chat request (this file), which the Anthropic adapter takes on
/// from there; Chat answers and streams become Responses ones (`ChatToResponses`,
/// `ChatToResponsesStream`). Pure functions of the bodies, no I/O.
public enum ResponsesToChat {
    /// The Chat request for a Responses request sent as `model`, and what the answer's
    /// translation needs to know of the request (`ResponsesRequestContext`).
    ///
    /// `carriesSignatures`: a reasoning item that carries an Anthropic thinking signature (see
    /// `ResponsesObjects.signaturePrefix`) goes on as `reasoning_signature` beside its
    /// `reasoning_content`, for the Anthropic adapter that follows in the hub.
    public static func request(_ responsesRequest: JSONValue, model: String, carriesSignatures: Bool = false) throws(GatewayError) -> (
        JSONValue, ResponsesRequestContext
    ) {
        guard case .object(var source) = responsesRequest else { throw .badRequest("The request body must be a JSON object.") }
        // `null` is an absent optional field, as for a decoder.
        for (key, value) in source.members where value == .null { source[key] = nil }
        for key in ["conversation", "background", "prompt"] where source[key] != nil && source[key] != .bool(false) {
            throw .badRequest("'\(key)' is not supported on this route.")
        }
        if let previous = source["previous_response_id"]?.stringValue {
            // Responses are not kept yet, so none can be continued on a translated route.
            throw .previousResponseNotFound(previous)
        }
        var context = ResponsesRequestContext()
        context.model = source["model"]?.stringValue ?? model
        var chat = JSONObject()
        chat["model"] = .string(model)
        // Tools first: calls in the history are named as the tools were.
        if let tools = source["tools"]?.arrayValue {
            let functions = try Self.functions(tools, context: &context)
            if !functions.isEmpty { chat["tools"] = .array(functions) }
        }
        for key in ["tools", "tool_choice", "parallel_tool_calls"] { context.echoed[key] = source[key] }
        var messages: [JSONValue] = []
        if let instructions = source["instructions"] {
            let text = try Self.text(of: instructions, field: "instructions")
            if !text.isEmpty { messages.append(.object(["role": .string("system"), "content": .string(text)])) }
        }
        switch source["input"] {
        case .string(let text)?:
            messages.append(.object(["role": .string("user"), "content": .string(text)]))
        case .array(let items)?:
            messages += try Self.messages(items, context: &context, carriesSignatures: carriesSignatures)
        case nil:
            throw .badRequest("'input' is required.")
        default:
            throw .badRequest("'input' must be a string or an array of items.")
        }
        chat["messages"] = .array(messages)
        if let choice = source["tool_choice"] { chat["tool_choice"] = Self.toolChoice(choice, context: context) }
        if chat["tools"] == nil { chat["tool_choice"] = nil }
        if let parallel = source["parallel_tool_calls"], chat["tools"] != nil { chat["parallel_tool_calls"] = parallel }
        if let effort = source["reasoning"]?["effort"]?.stringValue { chat["reasoning_effort"] = .string(effort) }
        if let maximum = source["max_output_tokens"], maximum != .null { chat["max_tokens"] = maximum }
        for key in ["temperature", "top_p"] where source[key] != nil && source[key] != .null { chat[key] = source[key] }
        if let user = source["safety_identifier"] ?? source["user"], case .string = user { chat["user"] = user }
        if let format = source["text"]?["format"]?.objectValue { chat["response_format"] = Self.responseFormat(format) }
        if source["stream"]?.boolValue == true {
            chat["stream"] = .bool(true)
            // The Responses stream always ends with its usage; Chat sends it only when asked.
            chat["stream_options"] = .object(["include_usage": .bool(true)])
        }
        return (.object(chat), context)
    }

    /// Input items as Chat messages. Consecutive function calls become one assistant message
    /// with several `tool_calls`; reasoning items have no Chat counterpart.
    private static func messages(_ items: [JSONValue], context: inout ResponsesRequestContext, carriesSignatures: Bool) throws(GatewayError)
        -> [JSONValue]
    {
        var messages: [JSONValue] = []
        var pendingCalls: [JSONValue] = []
        // The reasoning of the assistant turn that follows: DeepSeek wants it back beside the
        // turn's tool calls, and Claude its signed thinking.
        var pendingReasoning: (text: String, signature: String?)?
        func withReasoning(_ message: JSONObject) -> JSONObject {
            guard let reasoning = pendingReasoning else { return message }
            pendingReasoning = nil
            var message = message
            message["reasoning_content"] = .string(reasoning.text)
            if carriesSignatures, let signature = reasoning.signature { message["reasoning_signature"] = .string(signature) }
            return message
        }
        func flushCalls() {
            guard !pendingCalls.isEmpty else { return }
            // The answer's text and its calls are one assistant message in Chat.
            if pendingReasoning == nil, case .object(var last)? = messages.last, last["role"] == .string("assistant"),
                last["tool_calls"] == nil
            {
                last["tool_calls"] = .array(pendingCalls)
                messages[messages.count - 1] = .object(last)
            } else {
                messages.append(
                    .object(withReasoning(["role": .string("assistant"), "content": .null, "tool_calls": .array(pendingCalls)])))
            }
            pendingCalls = []
        }
        func call(id: JSONValue?, name: String, arguments: JSONValue) {
            pendingCalls.append(
                .object([
                    "id": id ?? .string(""), "type": .string("function"),
                    "function": .object(["name": .string(name), "arguments": arguments]),
                ]))
        }
        for (index, item) in items.enumerated() {
            let type = item["type"]?.stringValue ?? (item["role"] != nil ? "message" : nil)
            switch type {
            case "message":
                flushCalls()
                let message = try Self.message(item, at: index)
                if message["role"] == .string("assistant"), case .object(let object) = message {
                    messages.append(.object(withReasoning(object)))
                } else {
                    messages.append(message)
                }
            case "reasoning":
                flushCalls()
                let summary = (item["summary"]?.arrayValue ?? []) + (item["content"]?.arrayValue ?? [])
                let text = summary.compactMap { $0["text"]?.stringValue }.joined(separator: "\n\n")
                pendingReasoning = (text, ResponsesObjects.signature(in: item["encrypted_content"]?.stringValue))
            case "function_call":
                let name = context.toolNames.flattened(name: item["name"]?.stringValue ?? "", namespace: item["namespace"]?.stringValue)
                call(id: item["call_id"], name: name, arguments: item["arguments"] ?? .string("{}"))
            case "custom_tool_call":
                let name = context.toolNames.flattened(name: item["name"]?.stringValue ?? "", namespace: item["namespace"]?.stringValue)
                call(
                    id: item["call_id"], name: name,
                    arguments: .string(JSONValue.object(["input": item["input"] ?? .string("")]).encodedString))
            case "local_shell_call":
                call(id: item["call_id"], name: "local_shell", arguments: .string((item["action"] ?? .object([:])).encodedString))
            case "function_call_output", "custom_tool_call_output", "local_shell_call_output":
                flushCalls()
                let output = try Self.text(of: item["output"] ?? .string(""), field: "input[\(index)].output")
                messages.append(
                    .object(["role": .string("tool"), "tool_call_id": item["call_id"] ?? .string(""), "content": .string(output)]))
            case "compaction", "web_search_call", "file_search_call", "image_generation_call", "code_interpreter_call",
                "computer_call", "computer_call_output", "mcp_list_tools", "mcp_call", "mcp_approval_request", "mcp_approval_response",
                "tool_search_call", "tool_search_output":
                // What OpenAI ran or kept itself: no Chat counterpart, and nothing the model must answer.
                continue
            case "item_reference":
                throw .badRequest("'input[\(index)]' refers to a stored item, which this route does not keep.")
            default:
                throw .badRequest(
                    "'input[\(index)].type' \(type.map { "\"\($0)\"" } ?? "(missing)") is not an input item this route takes.")
            }
        }
        flushCalls()
        return messages
    }

    /// A message item: `developer` and `system` become system messages at their place.
    private static func message(_ item: JSONValue, at index: Int) throws(GatewayError) -> JSONValue {
        guard let role = item["role"]?.stringValue, ["user", "assistant", "system", "developer"].contains(role) else {
            throw .badRequest("'input[\(index)].role' must be \"user\", \"assistant\", \"system\" or \"developer\".")
        }
        let chatRole = role == "developer" ? "system" : role
        guard let content = item["content"] else { throw .badRequest("'input[\(index)].content' is required.") }
        if case .string = content { return .object(["role": .string(chatRole), "content": content]) }
        guard let parts = content.arrayValue else { throw .badRequest("'input[\(index)].content' must be a string or an array of parts.") }
        var chatParts: [JSONValue] = []
        for part in parts {
            switch part["type"]?.stringValue {
            case "input_text", "output_text", "text", "summary_text":
                chatParts.append(.object(["type": .string("text"), "text": part["text"] ?? .string("")]))
            case "refusal":
                chatParts.append(.object(["type": .string("text"), "text": part["refusal"] ?? .string("")]))
            case "input_image":
                guard let url = part["image_url"]?.stringValue else {
                    throw .badRequest("'input[\(index)]' has an image with no 'image_url' (file ids are not supported on this route).")
                }
                var image: JSONObject = ["url": .string(url)]
                if let detail = part["detail"] { image["detail"] = detail }
                chatParts.append(.object(["type": .string("image_url"), "image_url": .object(image)]))
            case "input_file":
                var file = JSONObject()
                for key in ["file_data", "file_id", "filename"] where part[key] != nil { file[key] = part[key] }
                chatParts.append(.object(["type": .string("file"), "file": .object(file)]))
            default:
                continue
            }
        }
        // Only user messages take parts other than text in Chat; a lone text part is a string.
        let isText = chatParts.allSatisfy { $0["type"]?.stringValue == "text" }
        if isText && (chatRole != "user" || chatParts.count == 1) {
            let text = chatParts.compactMap { $0["text"]?.stringValue }.joined()
            return .object(["role": .string(chatRole), "content": .string(text)])
        }
        return .object(["role": .string(chatRole), "content": .array(chatParts)])
    }

    /// Function tools as Chat tools; `namespace` groups flattened to names the model can call
    /// (`ResponsesToolNames`); hosted tools, which only OpenAI runs, left out and named.
    private static func functions(_ tools: [JSONValue], context: inout ResponsesRequestContext) throws(GatewayError) -> [JSONValue] {
        var functions: [JSONValue] = []
        for tool in tools {
            switch tool["type"]?.stringValue {
            case "function", "custom":
                functions.append(Self.function(tool, name: tool["name"]?.stringValue ?? "", namespace: nil, context: &context))
            case "namespace":
                let namespace = tool["name"]?.stringValue ?? ""
                for inner in tool["tools"]?.arrayValue ?? []
                where ["function", "custom"].contains(inner["type"]?.stringValue ?? "function") {
                    functions.append(Self.function(inner, name: inner["name"]?.stringValue ?? "", namespace: namespace, context: &context))
                }
            case let type?:
                context.droppedTools.append(type)
            case nil:
                throw .badRequest("Every tool needs a 'type'.")
            }
        }
        return functions
    }

    private static func function(_ tool: JSONValue, name: String, namespace: String?, context: inout ResponsesRequestContext) -> JSONValue {
        let isCustom = tool["type"]?.stringValue == "custom"
        var function: JSONObject = ["name": .string(context.toolNames.register(name: name, namespace: namespace, isCustom: isCustom))]
        guard !isCustom else {
            // A freeform tool: one string, `input`; its grammar, if any, told in the description.
            var description = tool["description"]?.stringValue ?? ""
            if let format = tool["format"], format["type"]?.stringValue == "grammar" {
                let syntax = format["syntax"]?.stringValue ?? ""
                description += "\n\nThe input follows this \(syntax) grammar:\n```\n\(format["definition"]?.stringValue ?? "")\n```"
            }
            function["description"] = .string(description)
            function["parameters"] = .object([
                "type": .string("object"), "properties": .object(["input": .object(["type": .string("string")])]),
                "required": .array([.string("input")]),
            ])
            return .object(["type": .string("function"), "function": .object(function)])
        }
        if let description = tool["description"] { function["description"] = description }
        function["parameters"] = tool["parameters"] ?? .object(["type": .string("object"), "properties": .object([:])])
        if let strict = tool["strict"], case .bool = strict { function["strict"] = strict }
        return .object(["type": .string("function"), "function": .object(function)])
    }

    private static func toolChoice(_ choice: JSONValue, context: ResponsesRequestContext) -> JSONValue {
        if case .string = choice { return choice }
        switch choice["type"]?.stringValue {
        case "function", "custom":
            let name = context.toolNames.flattened(name: choice["name"]?.stringValue ?? "", namespace: choice["namespace"]?.stringValue)
            return .object(["type": .string("function"), "function": .object(["name": .string(name)])])
        case "allowed_tools":
            return choice["mode"] ?? .string("auto")
        default:
            return .string("auto")
        }
    }

    /// `text.format` as Chat's `response_format`.
    private static func responseFormat(_ format: JSONObject) -> JSONValue {
        guard format["type"]?.stringValue == "json_schema" else { return .object(["type": format["type"] ?? .string("text")]) }
        var schema: JSONObject = ["name": format["name"] ?? .string("response")]
        for key in ["schema", "strict", "description"] where format[key] != nil { schema[key] = format[key] }
        return .object(["type": .string("json_schema"), "json_schema": .object(schema)])
    }

    /// A string, or the text of an array of parts.
    private static func text(of value: JSONValue, field: String) throws(GatewayError) -> String {
        switch value {
        case .string(let text): return text
        case .array(let parts): return parts.compactMap { $0["text"]?.stringValue }.joined(separator: "\n\n")
        default: throw .badRequest("'\(field)' must be a string or an array of text parts.")
        }
    }
}
