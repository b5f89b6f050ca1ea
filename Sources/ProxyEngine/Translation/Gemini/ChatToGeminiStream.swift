import NIOCore

/// A Gemini `streamGenerateContent?alt=sse` stream as a Chat `chat.completion.chunk` stream, for a
/// hub client on a Gemini upstream.
///
/// Each Gemini event is a whole `GenerateContentResponse` holding the next parts of its first
/// candidate: text parts become `content`, thought parts `reasoning_content`, and each function
/// call (sent whole, never in pieces) a tool call numbered in order, its arguments in one delta.
/// Gemini's stream has no end event: the finish, the usage (if asked for) and `[DONE]` are
/// written when the upstream's body ends after an event with a `finishReason` (or a blocked
/// prompt's `blockReason`).
public struct ChatToGeminiStream: StreamTranslator {
    private var validator = OpenAIStreamValidator()
    private var header: OpenAIStreamChunk.Header
    private let includeUsage: Bool
    private var started = false
    private var toolCalls = 0
    private var finishReason: String?
    /// The answer's `responseId`, which makes the gateway's names for its calls unique.
    private var responseID: String?
    private var blocked = false
    private var reportedUsage: GeminiUsage?

    /// `model` is the name the client asked for; `includeUsage` its `stream_options.include_usage`.
    public init(model: String, created: Int, includeUsage: Bool) {
        self.header = .init(id: "chatcmpl-gateway", model: model, created: created)
        self.includeUsage = includeUsage
    }

    public private(set) var isComplete = false
    public var callerFormat: APIFormat { .openAI }
    public var usage: TokenUsage? { self.reportedUsage?.usage.tokenUsage }

    public mutating func translate(_ event: SSEEvent, into output: inout ByteBuffer) throws(StreamViolation) {
        guard case .object(let response)? = JSONValue(parsing: event.data) else {
            throw StreamViolation("an upstream event that is not a GenerateContentResponse")
        }
        if let error = response["error"] {
            throw StreamViolation.upstreamError(error["message"]?.stringValue ?? "unknown")
        }
        // Events after a finish reason are read on, not refused: Google has sent a finish
        // reason on every chunk of a stream before, and the last one is the stream's.
        guard !self.blocked else { throw StreamViolation("an event after the prompt was blocked") }
        if !self.started {
            self.started = true
            if let id = response["responseId"]?.stringValue {
                self.header.id = "chatcmpl-" + id
                self.responseID = id
            }
            try self.emit(.role, into: &output)
        }
        if let metadata = response["usageMetadata"] { self.reportedUsage = GeminiUsage(metadata) }
        let candidate = response["candidates"]?.arrayValue?.first
        for part in candidate?["content"]?["parts"]?.arrayValue ?? [] {
            if let call = part["functionCall"] {
                let index = self.toolCalls
                self.toolCalls += 1
                let id = GeminiToolCallID.id(given: call["id"]?.stringValue, index: index, response: self.responseID)
                try self.emit(.toolCallStart(index: index, id: id, name: call["name"]?.stringValue ?? ""), into: &output)
                try self.emit(.toolCallArguments(index: index, (call["args"] ?? .object([:])).encodedString), into: &output)
            } else if let text = part["text"]?.stringValue, !text.isEmpty {
                try self.emit(part["thought"]?.boolValue == true ? .reasoning(text) : .content(text), into: &output)
            }
        }
        if let reason = candidate?["finishReason"]?.stringValue {
            self.finishReason = reason
        } else if candidate == nil, response["promptFeedback"]?["blockReason"] != nil {
            self.blocked = true
        }
    }

    public mutating func finish(into output: inout ByteBuffer) throws(StreamViolation) {
        guard self.finishReason != nil || self.blocked else {
            throw StreamViolation("the upstream's stream ended before a finish reason")
        }
        let reason = GeminiFinishReason.openAI(self.finishReason, blocked: self.blocked, hasFunctionCalls: self.toolCalls > 0)
        try self.emit(.finish(reason: reason), into: &output)
        if self.includeUsage { try self.emit(.usage((self.reportedUsage ?? GeminiUsage(nil)).usage), into: &output) }
        try self.emit(.done, into: &output)
        self.isComplete = true
    }

    private mutating func emit(_ chunk: OpenAIStreamChunk, into output: inout ByteBuffer) throws(StreamViolation) {
        try self.validator.check(chunk)
        chunk.write(into: &output, header: self.header)
    }
}
