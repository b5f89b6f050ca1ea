/// The objects of the Responses API the gateway writes: the `response` itself and its output
/// items, shared by the whole answer's translation and the stream's.
public enum ResponsesObjects {
    /// A fresh id with the API's prefixes (`resp_`, `msg_`, `fc_`, `rs_`).
    public static func id(_ prefix: String) -> String {
        let high = UInt64.random(in: .min ... .max)
        let low = UInt64.random(in: .min ... .max)
        return prefix + "_" + String(high, radix: 16) + String(low, radix: 16)
    }

    public enum Status: String, Sendable {
        case inProgress = "in_progress"
        case completed
        case incomplete
        case failed

        /// The status of the item that was open when the response ended so.
        public var ofLastItem: Status { self == .incomplete ? .incomplete : .completed }
    }

    /// Status and `incomplete_details` for a Chat finish reason.
    public static func status(forFinishReason reason: String?) -> (Status, incompleteReason: String?) {
        switch reason {
        case "length": (.incomplete, "max_output_tokens")
        case "content_filter": (.incomplete, "content_filter")
        default: (.completed, nil)
        }
    }

    public static func response(
        id: String, model: String, created: Int, status: Status, output: [JSONValue], usage: TranslatedUsage?,
        reasoningTokens: Int = 0, incompleteReason: String? = nil, error: JSONValue = .null, echoed: JSONObject = JSONObject()
    ) -> JSONValue {
        var response: JSONObject = [
            "id": .string(id), "object": .string("response"), "created_at": .int(created), "status": .string(status.rawValue),
            "error": error, "model": .string(model), "output": .array(output),
        ]
        response["incomplete_details"] = incompleteReason.map { .object(["reason": .string($0)]) } ?? .null
        response["usage"] = usage.map { Self.usage($0, reasoningTokens: reasoningTokens) } ?? .null
        response["tools"] = echoed["tools"] ?? .array([])
        response["tool_choice"] = echoed["tool_choice"] ?? .string("auto")
        response["parallel_tool_calls"] = echoed["parallel_tool_calls"] ?? .bool(true)
        return .object(response)
    }

    /// `error.code` of a failed response: the codes the SDKs and Codex know.
    public static func failureCode(_ error: GatewayError) -> String {
        if error.isBudgetExceeded { return error.openAICode }
        return switch error.status {
        case 429: "rate_limit_exceeded"
        case 402: "insufficient_quota"
        case 400...499: "invalid_prompt"
        default: "server_error"
        }
    }

    public static func usage(_ usage: TranslatedUsage, reasoningTokens: Int) -> JSONValue {
        .object([
            "input_tokens": .int(usage.promptTokens),
            "input_tokens_details": .object(["cached_tokens": .int(usage.cacheReadTokens)]),
            "output_tokens": .int(usage.outputTokens),
            "output_tokens_details": .object(["reasoning_tokens": .int(reasoningTokens)]),
            "total_tokens": .int(usage.promptTokens + usage.outputTokens),
        ])
    }

    public static func message(id: String, text: String, status: Status) -> JSONValue {
        .object([
            "id": .string(id), "type": .string("message"), "status": .string(status.rawValue), "role": .string("assistant"),
            "content": status == .inProgress ? .array([]) : .array([Self.outputText(text)]),
        ])
    }

    public static func outputText(_ text: String) -> JSONValue {
        .object(["type": .string("output_text"), "text": .string(text), "annotations": .array([]), "logprobs": .array([])])
    }

    public static func functionCall(id: String, callID: String, name: ResponsesToolNames.Original, arguments: String, status: Status)
        -> JSONValue
    {
        if name.isCustom {
            var item: JSONObject = [
                "id": .string(id), "type": .string("custom_tool_call"), "status": .string(status.rawValue), "call_id": .string(callID),
                "name": .string(name.name), "input": .string(Self.customInput(arguments)),
            ]
            if let namespace = name.namespace { item["namespace"] = .string(namespace) }
            return .object(item)
        }
        var item: JSONObject = [
            "id": .string(id), "type": .string("function_call"), "status": .string(status.rawValue), "call_id": .string(callID),
            "name": .string(name.name), "arguments": .string(arguments),
        ]
        if let namespace = name.namespace { item["namespace"] = .string(namespace) }
        return .object(item)
    }

    /// A custom tool call's `input`: the string the model put in the one argument, or the raw
    /// arguments when they are not that object.
    public static func customInput(_ arguments: String) -> String {
        JSONValue(parsing: arguments)?["input"]?.stringValue ?? arguments
    }

    public static func reasoning(id: String, summary: String?, signature: String? = nil) -> JSONValue {
        var item: JSONObject = [
            "id": .string(id), "type": .string("reasoning"),
            "summary": .array(summary.map { [.object(["type": .string("summary_text"), "text": .string($0)])] } ?? []),
        ]
        if let signature { item["encrypted_content"] = .string(Self.signaturePrefix + signature) }
        return .object(item)
    }

    /// Marks an Anthropic thinking signature carried in `encrypted_content`: opaque to the
    /// client, restored when the item comes back (another provider's encrypted reasoning is not
    /// mistaken for one).
    public static let signaturePrefix = "gateway.anthropic-thinking-signature.v1:"

    /// The signature an `encrypted_content` carries, if it is one of the gateway's.
    public static func signature(in encrypted: String?) -> String? {
        guard let encrypted, encrypted.hasPrefix(Self.signaturePrefix) else { return nil }
        return String(encrypted.dropFirst(Self.signaturePrefix.count))
    }
}
