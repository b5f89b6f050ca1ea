import NIOCore

extension MockAnswer {
    /// The answer to a Gemini `generateContent` request for `model`: read through the hub's
    /// adapter (tools offered, a last turn of function results, a thinking budget), written in
    /// Gemini's own format.
    public init(geminiRequest: JSONValue, model: String, chunks: Int, created: Int, promptTokens: Int) throws(GatewayError) {
        let chat = try GeminiToChat.request(geminiRequest, model: model, stream: false)
        self.init(request: chat, format: .openAI, chunks: chunks, created: created, promptTokens: promptTokens)
        self.id = "mock-gemini"
        if self.reasoning != nil { self.usage.reasoningTokens = 5 }
    }

    /// The whole `GenerateContentResponse`.
    public func geminiResponse() -> ByteBuffer {
        var parts: [JSONValue] = []
        if let reasoning { parts.append(.object(["text": .string(reasoning), "thought": .bool(true)])) }
        parts.append(.object(["text": .string(self.text)]))
        if let call = self.geminiFunctionCall { parts.append(call) }
        return self.geminiEvent(parts: parts, last: true).encoded
    }

    /// The `streamGenerateContent?alt=sse` events: the thinking, each text piece, then the
    /// function call (whole, as Gemini sends it) with the finish reason and the usage.
    public func geminiEvents() -> [ByteBuffer] {
        var events: [JSONValue] = []
        if let reasoning {
            events.append(self.geminiEvent(parts: [.object(["text": .string(reasoning), "thought": .bool(true)])], last: false))
        }
        for (index, piece) in self.pieces.enumerated() {
            var parts: [JSONValue] = [.object(["text": .string(piece)])]
            let last = index == self.pieces.count - 1
            if last, let call = self.geminiFunctionCall { parts.append(call) }
            events.append(self.geminiEvent(parts: parts, last: last))
        }
        return events.map { event in
            var buffer = ByteBuffer(string: "data: ")
            var body = event.encoded
            buffer.writeBuffer(&body)
            buffer.writeString("\r\n\r\n")
            return buffer
        }
    }

    private var geminiFunctionCall: JSONValue? {
        guard let toolCall else { return nil }
        return .object([
            "functionCall": .object(["name": .string(toolCall.name), "args": JSONValue(parsing: toolCall.arguments) ?? .object([:])])
        ])
    }

    private func geminiEvent(parts: [JSONValue], last: Bool) -> JSONValue {
        var candidate: JSONObject = ["content": .object(["role": .string("model"), "parts": .array(parts)])]
        if last { candidate["finishReason"] = .string("STOP") }
        candidate["index"] = .int(0)
        var usage = GeminiUsage(self.usage)
        if !last { usage = GeminiUsage(TranslatedUsage(inputTokens: self.usage.inputTokens)) }
        return .object([
            "candidates": .array([.object(candidate)]), "usageMetadata": usage.geminiObject, "modelVersion": .string(self.model),
            "responseId": .string(self.id),
        ])
    }
}
