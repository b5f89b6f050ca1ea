import NIOCore

/// A Chat `chat.completion.chunk` stream as a Gemini `streamGenerateContent?alt=sse` stream, for
/// a Gemini client on a hub upstream.
///
/// Each text or reasoning delta becomes an event holding one part (a thought part for
/// reasoning); a tool call's argument pieces are gathered and sent as one whole `functionCall`
/// part, as Gemini does, in the last event, which carries the `finishReason` and the
/// `usageMetadata`. Every event is `data: {GenerateContentResponse}` and a blank line.
public struct GeminiToChatStream: StreamTranslator {
    private var validator = OpenAIStreamValidator()
    private let model: String
    private var responseID = "gateway"
    private var calls: [(id: String, name: String, arguments: String)] = []
    private var finishReason: String?
    private var reportedUsage: TranslatedUsage?
    private var sawRole = false

    /// `model` is the name the client asked for.
    public init(model: String) {
        self.model = model
    }

    public private(set) var isComplete = false
    public var callerFormat: APIFormat { .gemini }
    public var usage: TokenUsage? { self.reportedUsage?.tokenUsage }

    public mutating func translate(_ event: SSEEvent, into output: inout ByteBuffer) throws(StreamViolation) {
        if event.data == "[DONE]" {
            try self.validator.check(.done)
            self.writeLast(into: &output)
            self.isComplete = true
            return
        }
        guard case .object(let chunk)? = JSONValue(parsing: event.data) else {
            throw StreamViolation("an upstream event that is not a chat.completion.chunk")
        }
        if let error = chunk["error"] { throw StreamViolation.upstreamError(error["message"]?.stringValue ?? "unknown") }
        if let usage = chunk["usage"], case .object = usage {
            self.reportedUsage = TranslatedUsage(openAI: usage)
        }
        guard let choice = chunk["choices"]?.arrayValue?.first else {
            if chunk["usage"] != nil { try self.validator.check(.usage(self.reportedUsage ?? TranslatedUsage())) }
            return
        }
        if let id = chunk["id"]?.stringValue, self.responseID == "gateway" { self.responseID = id }
        let delta = choice["delta"]
        if !self.sawRole {
            try self.validator.check(.role)
            self.sawRole = true
        }
        if let reasoning = delta?["reasoning_content"]?.stringValue, !reasoning.isEmpty {
            try self.validator.check(.reasoning(reasoning))
            self.write(parts: [.object(["text": .string(reasoning), "thought": .bool(true)])], into: &output)
        }
        if let text = delta?["content"]?.stringValue, !text.isEmpty {
            try self.validator.check(.content(text))
            self.write(parts: [.object(["text": .string(text)])], into: &output)
        }
        for call in delta?["tool_calls"]?.arrayValue ?? [] {
            let index = call["index"]?.intValue ?? self.calls.count
            if index == self.calls.count {
                let id = call["id"]?.stringValue ?? GeminiToolCallID.id(given: nil, index: index)
                let name = call["function"]?["name"]?.stringValue ?? ""
                try self.validator.check(.toolCallStart(index: index, id: id, name: name))
                self.calls.append((id, name, ""))
            }
            guard index < self.calls.count else { throw StreamViolation("arguments for tool call \(index), which was never started") }
            if let piece = call["function"]?["arguments"]?.stringValue, !piece.isEmpty {
                try self.validator.check(.toolCallArguments(index: index, piece))
                self.calls[index].arguments += piece
            }
        }
        if let reason = choice["finish_reason"]?.stringValue {
            try self.validator.check(.finish(reason: reason))
            self.finishReason = reason
        }
    }

    public mutating func finish(into output: inout ByteBuffer) throws(StreamViolation) {
        // Some compatible servers end a finished stream without `[DONE]`.
        guard self.finishReason != nil else { throw StreamViolation("the upstream's stream ended before a finish reason") }
        self.writeLast(into: &output)
        self.isComplete = true
    }

    /// The last event: the whole function calls, the finish reason and the usage.
    private func writeLast(into output: inout ByteBuffer) {
        let parts: [JSONValue] = self.calls.map { call in
            GeminiToChat.functionCallPart(
                .object(["id": .string(call.id), "function": .object(["name": .string(call.name), "arguments": .string(call.arguments)])]))
        }
        self.write(
            parts: parts, finishReason: GeminiFinishReason.gemini(fromFinishReason: self.finishReason),
            usage: GeminiUsage(self.reportedUsage ?? TranslatedUsage()), into: &output)
    }

    private func write(parts: [JSONValue], finishReason: String? = nil, usage: GeminiUsage? = nil, into output: inout ByteBuffer) {
        var candidate: JSONObject = ["content": .object(["role": .string("model"), "parts": .array(parts)])]
        if let finishReason { candidate["finishReason"] = .string(finishReason) }
        candidate["index"] = .int(0)
        var response: JSONObject = ["candidates": .array([.object(candidate)])]
        if let usage { response["usageMetadata"] = usage.geminiObject }
        response["modelVersion"] = .string(self.model)
        response["responseId"] = .string(self.responseID)
        var body = JSONValue.object(response).encoded
        output.writeString("data: ")
        output.writeBuffer(&body)
        output.writeString("\r\n\r\n")
    }
}
