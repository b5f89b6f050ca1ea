import FoundationEssentials
import NIOCore

/// An OpenAI `chat.completion.chunk` stream as an Anthropic Messages stream, for a Messages
/// client on an OpenAI-compatible upstream.
///
/// Reasoning, text and each tool call become content blocks in the order they start; a block
/// closes when the next kind starts or the choice finishes. Input tokens are only known at the
/// end of an OpenAI stream, so `message_start` carries 0 and `message_delta` the counts (the
/// Anthropic SDKs take `message_delta`'s as final).
public struct OpenAIToAnthropicStream: StreamTranslator {
    private enum OpenBlock: Equatable {
        case text, thinking
        case toolCall(Int)
    }

    private var validator = AnthropicStreamValidator()
    private var started = false
    private var openBlock: (index: Int, kind: OpenBlock)?
    private var nextBlockIndex = 0
    private var finishReason: String?
    private var reportedUsage: TranslatedUsage?
    private let model: String

    /// `model` is the name the client asked for, which its answer must carry.
    public init(model: String) {
        self.model = model
    }

    public private(set) var isComplete = false

    public var usage: TokenUsage? { self.reportedUsage?.tokenUsage }

    public mutating func translate(_ event: SSEEvent, into output: inout ByteBuffer) throws(StreamViolation) {
        if event.data == "[DONE]" {
            try self.close(into: &output)
            return
        }
        let chunk: Chunk
        do {
            chunk = try JSONDecoder().decode(Chunk.self, from: Data(event.data.utf8))
        } catch {
            throw StreamViolation("an upstream event that is not a chat.completion.chunk")
        }
        if let message = chunk.error?.message {
            throw StreamViolation.upstreamError(message)
        }
        if !self.started {
            try self.emit(
                .messageStart(id: OpenAIToAnthropic.messageID(chunk.id), model: self.model, usage: TranslatedUsage()), into: &output)
            try self.emit(.ping, into: &output)
            self.started = true
        }
        if let usage = chunk.usage { self.reportedUsage = TranslatedUsage(openAI: usage) }
        // Messages has one answer; other choices (`n` > 1 is refused on the way in) are ignored.
        guard let choice = chunk.choices?.first(where: { ($0.index ?? 0) == 0 }) else { return }
        if let delta = choice.delta {
            if let reasoning = delta.reasoning_content, !reasoning.isEmpty {
                try self.open(.thinking, block: .thinking, into: &output)
                try self.emit(.contentBlockDelta(index: self.openBlock!.index, delta: .thinking(reasoning)), into: &output)
            }
            if let text = delta.content, !text.isEmpty {
                try self.open(.text, block: .text, into: &output)
                try self.emit(.contentBlockDelta(index: self.openBlock!.index, delta: .text(text)), into: &output)
            }
            for call in delta.tool_calls ?? [] {
                let callIndex = call.index ?? 0
                if self.openBlock?.kind != .toolCall(callIndex) {
                    guard call.id != nil || call.function?.name != nil else {
                        throw StreamViolation("arguments for tool call \(callIndex) after it ended")
                    }
                    let block = AnthropicStreamEvent.Block.toolUse(
                        id: OpenAIToAnthropic.toolUseID(call.id), name: call.function?.name ?? "")
                    try self.open(.toolCall(callIndex), block: block, into: &output)
                }
                if let arguments = call.function?.arguments, !arguments.isEmpty {
                    try self.emit(.contentBlockDelta(index: self.openBlock!.index, delta: .inputJSON(arguments)), into: &output)
                }
            }
        }
        if let reason = choice.finish_reason {
            self.finishReason = reason
            try self.closeBlock(into: &output)
        }
    }

    public mutating func finish(into output: inout ByteBuffer) throws(StreamViolation) {
        // Some OpenAI-compatible servers end without `[DONE]`; a finish reason is end enough.
        guard self.finishReason != nil else { throw StreamViolation("the upstream's stream ended before the answer did") }
        try self.close(into: &output)
    }

    public var callerFormat: APIFormat { .anthropic }

    private mutating func close(into output: inout ByteBuffer) throws(StreamViolation) {
        if !self.started {
            try self.emit(.messageStart(id: "msg_gateway", model: self.model, usage: TranslatedUsage()), into: &output)
            self.started = true
        }
        try self.closeBlock(into: &output)
        let stopReason = StopReason.anthropic(fromFinishReason: self.finishReason)
        try self.emit(.messageDelta(stopReason: stopReason, usage: self.reportedUsage ?? TranslatedUsage()), into: &output)
        try self.emit(.messageStop, into: &output)
        self.isComplete = true
    }

    private mutating func open(_ kind: OpenBlock, block: AnthropicStreamEvent.Block, into output: inout ByteBuffer) throws(StreamViolation)
    {
        if self.openBlock?.kind == kind { return }
        try self.closeBlock(into: &output)
        let index = self.nextBlockIndex
        self.nextBlockIndex += 1
        self.openBlock = (index, kind)
        try self.emit(.contentBlockStart(index: index, block: block), into: &output)
    }

    private mutating func closeBlock(into output: inout ByteBuffer) throws(StreamViolation) {
        guard let open = self.openBlock else { return }
        self.openBlock = nil
        try self.emit(.contentBlockStop(index: open.index), into: &output)
    }

    private mutating func emit(_ event: AnthropicStreamEvent, into output: inout ByteBuffer) throws(StreamViolation) {
        try self.validator.check(event)
        event.write(into: &output)
    }

    private struct Chunk: Decodable {
        var id: String?
        var choices: [Choice]?
        var usage: JSONValue?
        var error: ErrorBody?

        struct Choice: Decodable {
            var index: Int?
            var delta: Delta?
            var finish_reason: String?
        }

        struct Delta: Decodable {
            var content: String?
            var reasoning_content: String?
            var tool_calls: [ToolCall]?
        }

        struct ToolCall: Decodable {
            var index: Int?
            var id: String?
            var function: Function?
        }

        struct Function: Decodable {
            var name: String?
            var arguments: String?
        }

        struct ErrorBody: Decodable {
            var message: String?
        }
    }
}
