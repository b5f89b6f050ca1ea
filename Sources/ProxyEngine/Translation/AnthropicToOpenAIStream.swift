import FoundationEssentials
import NIOCore

/// An Anthropic Messages stream as an OpenAI `chat.completion.chunk` stream, for a Chat client
/// on an Anthropic upstream.
///
/// Text deltas become `content`, thinking deltas `reasoning_content`, and each `tool_use` block
/// a tool call numbered in order of appearance, its `input_json_delta`s the call's argument
/// deltas. The usage chunk is sent only if the client asked for it, as OpenAI does.
public struct AnthropicToOpenAIStream: StreamTranslator {
    private enum BlockKind { case text, thinking, toolCall(Int), other }

    private var validator = OpenAIStreamValidator()
    private var header: OpenAIStreamChunk.Header
    private let includeUsage: Bool
    private var started = false
    private var blocks: [Int: BlockKind] = [:]
    private var toolCalls = 0
    private var reportedUsage = TranslatedUsage()
    private var sawUsage = false
    private let carriesSignatures: Bool

    /// `model` is the name the client asked for; `includeUsage` its `stream_options.include_usage`;
    /// `carriesSignatures` passes thinking signatures on (`reasoning_signature`), for the
    /// Responses adapter that follows in the hub.
    public init(model: String, created: Int, includeUsage: Bool, carriesSignatures: Bool = false) {
        self.header = .init(id: "chatcmpl-gateway", model: model, created: created)
        self.includeUsage = includeUsage
        self.carriesSignatures = carriesSignatures
    }

    public private(set) var isComplete = false

    public var usage: TokenUsage? { self.sawUsage ? self.reportedUsage.tokenUsage : nil }

    public mutating func translate(_ event: SSEEvent, into output: inout ByteBuffer) throws(StreamViolation) {
        let parsed: Event
        do {
            parsed = try JSONDecoder().decode(Event.self, from: Data(event.data.utf8))
        } catch {
            throw StreamViolation("an upstream event that is not a Messages stream event")
        }
        switch parsed.type {
        case "message_start":
            guard !self.started else { throw StreamViolation("a second message_start") }
            self.started = true
            if let id = parsed.message?.id { self.header.id = id }
            if let usage = parsed.message?.usage { self.merge(usage) }
            try self.emit(.role, into: &output)
        case "content_block_start":
            guard self.started, let index = parsed.index, self.blocks[index] == nil else {
                throw StreamViolation("content_block_start out of order")
            }
            switch parsed.content_block?.type {
            case "text":
                self.blocks[index] = .text
                if let text = parsed.content_block?.text, !text.isEmpty { try self.emit(.content(text), into: &output) }
            case "thinking":
                self.blocks[index] = .thinking
            case "tool_use":
                let call = self.toolCalls
                self.toolCalls += 1
                self.blocks[index] = .toolCall(call)
                let block = parsed.content_block
                try self.emit(.toolCallStart(index: call, id: block?.id ?? "", name: block?.name ?? ""), into: &output)
            default:
                // Server tool results, redacted thinking: nothing a Chat client can show.
                self.blocks[index] = .other
            }
        case "content_block_delta":
            guard let index = parsed.index, let kind = self.blocks[index], let delta = parsed.delta else {
                throw StreamViolation("a delta for a block that was never started")
            }
            switch (kind, delta.type) {
            case (.text, "text_delta"):
                if let text = delta.text, !text.isEmpty { try self.emit(.content(text), into: &output) }
            case (.thinking, "thinking_delta"):
                if let text = delta.thinking, !text.isEmpty { try self.emit(.reasoning(text), into: &output) }
            case (.thinking, "signature_delta"):
                if self.carriesSignatures, let signature = delta.signature, !signature.isEmpty {
                    try self.emit(.reasoningSignature(signature), into: &output)
                }
            case (.other, _):
                break
            case (.toolCall(let call), "input_json_delta"):
                if let json = delta.partial_json, !json.isEmpty { try self.emit(.toolCallArguments(index: call, json), into: &output) }
            default:
                throw StreamViolation("a \(delta.type ?? "untyped") delta for a block of another kind")
            }
        case "content_block_stop":
            guard let index = parsed.index, self.blocks[index] != nil else {
                throw StreamViolation("a stop for a block that was never started")
            }
        case "message_delta":
            guard self.started else { throw StreamViolation("message_delta before message_start") }
            if let usage = parsed.usage { self.merge(usage) }
            try self.emit(.finish(reason: StopReason.openAI(fromStopReason: parsed.delta?.stop_reason)), into: &output)
        case "message_stop":
            if self.includeUsage { try self.emit(.usage(self.reportedUsage), into: &output) }
            try self.emit(.done, into: &output)
            self.isComplete = true
        case "ping":
            break
        case "error":
            throw StreamViolation.upstreamError(parsed.error?.message ?? "unknown")
        default:
            // New event types are to be ignored, as Anthropic's versioning policy asks.
            break
        }
    }

    public mutating func finish(into output: inout ByteBuffer) throws(StreamViolation) {
        throw StreamViolation("the upstream's stream ended before message_stop")
    }

    public var callerFormat: APIFormat { .openAI }

    /// Counts on `message_delta` are cumulative and overwrite those of `message_start`.
    private mutating func merge(_ usage: JSONValue) {
        self.sawUsage = true
        let update = TranslatedUsage(anthropic: usage)
        if usage["input_tokens"]?.intValue != nil { self.reportedUsage.inputTokens = update.inputTokens }
        if usage["output_tokens"]?.intValue != nil { self.reportedUsage.outputTokens = update.outputTokens }
        if usage["cache_read_input_tokens"]?.intValue != nil { self.reportedUsage.cacheReadTokens = update.cacheReadTokens }
        if usage["cache_creation_input_tokens"]?.intValue != nil { self.reportedUsage.cacheCreationTokens = update.cacheCreationTokens }
    }

    private mutating func emit(_ chunk: OpenAIStreamChunk, into output: inout ByteBuffer) throws(StreamViolation) {
        try self.validator.check(chunk)
        chunk.write(into: &output, header: self.header)
    }

    private struct Event: Decodable {
        var type: String
        var message: Message?
        var index: Int?
        var content_block: Block?
        var delta: Delta?
        var usage: JSONValue?
        var error: ErrorBody?

        struct Message: Decodable {
            var id: String?
            var usage: JSONValue?
        }

        struct Block: Decodable {
            var type: String
            var id: String?
            var name: String?
            var text: String?
        }

        struct Delta: Decodable {
            var type: String?
            var text: String?
            var thinking: String?
            var signature: String?
            var partial_json: String?
            var stop_reason: String?
        }

        struct ErrorBody: Decodable {
            var message: String?
        }
    }
}
