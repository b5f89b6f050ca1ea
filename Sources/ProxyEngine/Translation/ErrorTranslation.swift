import NIOCore

/// An upstream error body re-written in the caller's format, keeping the upstream's message.
public enum ErrorTranslation {
    /// `body` came from an upstream speaking `upstream`; the caller speaks `caller`. `nil` when
    /// the body carries no message to keep (the caller then gets the gateway's own error).
    public static func body(_ body: ByteBuffer, status: Int, from upstream: APIFormat, to caller: APIFormat) -> ByteBuffer? {
        // Responses and Chat share OpenAI's error shape.
        let sharesOpenAIShape = (upstream == .openAI || upstream == .responses) && (caller == .openAI || caller == .responses)
        guard upstream != caller, !sharesOpenAIShape else { return body }
        guard let parsed = JSONValue(parsing: body), let message = parsed["error"]?["message"]?.stringValue else { return nil }
        var json = JSONWriter()
        switch caller {
        case .anthropic:
            json.append(#"{"type":"error","error":{"type":"#)
            json.appendString(Self.anthropicType(status: status))
            json.append(#","message":"#)
            json.appendString(message)
            json.append("}}")
        case .openAI, .responses:
            let type = parsed["error"]?["type"]?.stringValue ?? Self.openAIType(status: status)
            json.append(#"{"error":{"message":"#)
            json.appendString(message)
            json.append(#","type":"#)
            json.appendString(type)
            json.append(#","param":null,"code":null}}"#)
        case .gemini:
            json.append(#"{"error":{"code":"#)
            json.appendInt(status)
            json.append(#","message":"#)
            json.appendString(message)
            json.append(#","status":"#)
            json.appendString(GeminiStatus.name(of: status))
            json.append("}}")
        }
        return json.buffer
    }

    /// OpenAI's error type for a status, for an upstream error that names none (Gemini's).
    static func openAIType(status: Int) -> String {
        switch status {
        case 400, 404, 413: "invalid_request_error"
        case 401: "authentication_error"
        case 403: "permission_error"
        case 429: "rate_limit_error"
        default: "api_error"
        }
    }

    /// The Anthropic error type its API documents for each status.
    static func anthropicType(status: Int) -> String {
        switch status {
        case 400: "invalid_request_error"
        case 401: "authentication_error"
        case 402: "billing_error"
        case 403: "permission_error"
        case 404: "not_found_error"
        case 413: "request_too_large"
        case 429: "rate_limit_error"
        case 504: "timeout_error"
        case 529, 503: "overloaded_error"
        default: "api_error"
        }
    }
}
