import NIOCore

/// The wire format a client speaks on a route; errors are rendered in it.
public enum APIFormat: Sendable, Hashable {
    /// OpenAI Chat Completions.
    case openAI
    /// Anthropic Messages.
    case anthropic
    /// The OpenAI Responses API: OpenAI's error shape, its own stream events.
    case responses
    /// Google's Gemini API (`generateContent`): Google's error shape, whole-response stream events.
    case gemini

    /// The name of the door a request in this format comes through, as usage records keep it.
    public var door: String {
        switch self {
        case .openAI: "chat"
        case .anthropic: "messages"
        case .responses: "responses"
        case .gemini: "gemini"
        }
    }

    /// What keeps a silent stream's connection alive without saying anything: Anthropic's own
    /// `ping` event once the stream has begun (the SDKs refuse any event before
    /// `message_start`), else an SSE comment, which every SSE reader skips; nil for Gemini,
    /// whose SDK reads every line that is not `data:` as JSON (Google sends no comments).
    public func keepAliveEvent(afterFirstEvent: Bool) -> ByteBuffer? {
        switch self {
        case .gemini: nil
        case .anthropic where afterFirstEvent: Self.anthropicPing
        case .openAI, .anthropic, .responses: Self.comment
        }
    }

    private static let anthropicPing = ByteBuffer(string: "event: ping\ndata: {\"type\": \"ping\"}\n\n")
    private static let comment = ByteBuffer(string: ": keep-alive\n\n")

    /// The JSON body of an error response in this format.
    public func errorBody(_ error: GatewayError) -> ByteBuffer {
        var json = JSONWriter()
        switch self {
        case .openAI, .responses:
            json.append(#"{"error":{"message":"#)
            json.appendString(error.message)
            json.append(#","type":"#)
            json.appendString(error.openAIType)
            json.append(#","param":null,"code":"#)
            json.appendString(error.openAICode)
            json.append("}}")
        case .anthropic:
            json.append(#"{"type":"error","error":{"type":"#)
            json.appendString(error.anthropicType)
            json.append(#","message":"#)
            json.appendString(error.message)
            if error.isBudgetExceeded {
                // Anthropic's errors have no code: the budget's is told apart from a quota's here.
                json.append(#","code":"#)
                json.appendString(error.openAICode)
            }
            json.append("}}")
        case .gemini:
            json.append(#"{"error":{"code":"#)
            json.appendInt(error.status)
            json.append(#","message":"#)
            json.appendString(error.message)
            json.append(#","status":"#)
            json.appendString(GeminiStatus.name(of: error.status))
            json.append("}}")
        }
        return json.buffer
    }

    /// The final SSE event that ends a stream which failed after its first byte was sent.
    ///
    /// The OpenAI SDKs raise an `APIError` for a `data:` event whose JSON has an `error` key;
    /// the Anthropic SDKs raise on `event: error`.
    public func streamErrorEvent(_ error: GatewayError) -> ByteBuffer {
        var event = ByteBuffer()
        switch self {
        case .openAI, .gemini:
            // google-genai raises an `APIError` for a stream chunk whose JSON has an `error` key.
            event.writeString("data: ")
        case .anthropic:
            event.writeString("event: error\ndata: ")
        case .responses:
            // The stream's own end for a failure; SDKs and Codex read `response.error`.
            var json = JSONWriter()
            json.append(#"{"type":"response.failed","response":{"object":"response","status":"failed","output":[],"error":{"code":"#)
            json.appendString(ResponsesObjects.failureCode(error))
            json.append(#","message":"#)
            json.appendString(error.message)
            json.append("}}}")
            event.writeString("event: response.failed\ndata: ")
            var body = json.buffer
            event.writeBuffer(&body)
            event.writeString("\n\n")
            return event
        }
        var body = self.errorBody(error)
        event.writeBuffer(&body)
        event.writeString("\n\n")
        return event
    }
}
