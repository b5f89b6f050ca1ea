import FoundationEssentials
import NIOCore

/// How one request crosses between the format its client speaks and the format its upstream
/// speaks: the same format passes through untouched (bytes as received, bar an aliased model
/// name); different formats are translated both ways.
public struct FormatBridge: Sendable {
    public let caller: APIFormat
    public let upstream: APIFormat
    /// What a Responses answer's translation needs from its request (set by `upstreamBody`).
    public private(set) var responsesContext = ResponsesRequestContext()
    /// The model the request goes upstream as (set by `upstreamBody`): a Gemini answer may not
    /// name it.
    public private(set) var upstreamModel = ""

    /// Whether the caller asked for a stream: a Gemini caller says so in its path, not its body.
    public let stream: Bool

    public init(caller: APIFormat, upstream: APIFormat, stream: Bool = false) {
        self.caller = caller
        self.upstream = upstream
        self.stream = stream
    }

    public var isPassThrough: Bool { self.caller == self.upstream }

    /// The path after the upstream's API root: Gemini names the model and the streaming in it.
    public func upstreamPath(model: String, stream: Bool) -> String {
        switch self.upstream {
        case .openAI: "/chat/completions"
        case .anthropic: "/messages"
        case .responses: "/responses"
        case .gemini: GeminiPath.upstream(model: model, stream: stream)
        }
    }

    /// The body to send upstream as `upstreamModel`. Chat Completions is the hub: a Responses
    /// request reaches an Anthropic upstream through it.
    public mutating func upstreamBody(
        _ body: ByteBuffer, upstreamModel: String, isAliased: Bool, modelRange: Range<Int>? = nil
    ) throws(GatewayError) -> ByteBuffer {
        self.upstreamModel = upstreamModel
        if self.isPassThrough {
            // Gemini names its model in the path (`upstreamPath`), not in the body.
            guard isAliased, self.caller != .gemini else { return body }
            guard let rewritten = JSONModelRewriter.rewritingModel(in: body, to: upstreamModel, at: modelRange) else {
                throw .badRequest("'model' must be a top-level string.")
            }
            return rewritten
        }
        guard let request = JSONValue(parsing: body) else { throw .badRequest("The request body is not valid JSON.") }
        switch (self.caller, self.upstream) {
        case (.gemini, .anthropic):
            let chat = try GeminiToChat.request(request, model: upstreamModel, stream: self.stream)
            return try OpenAIToAnthropic.request(chat, model: upstreamModel).encoded
        case (.gemini, _): return try GeminiToChat.request(request, model: upstreamModel, stream: self.stream).encoded
        case (.anthropic, .gemini): return try ChatToGemini.request(try AnthropicToOpenAI.request(request, model: upstreamModel)).encoded
        case (.openAI, .gemini): return try ChatToGemini.request(request).encoded
        case (.responses, .gemini):
            let (chat, context) = try ResponsesToChat.request(request, model: upstreamModel)
            self.responsesContext = context
            return try ChatToGemini.request(chat).encoded
        case (.anthropic, _): return try AnthropicToOpenAI.request(request, model: upstreamModel).encoded
        case (.openAI, _): return try OpenAIToAnthropic.request(request, model: upstreamModel).encoded
        case (.responses, .anthropic):
            var (chat, context) = try ResponsesToChat.request(request, model: upstreamModel, carriesSignatures: true)
            self.responsesContext = context
            // Codex never bounds its answers; Messages requires a bound, and the Chat adapter's
            // default (4,096) would cut an agent's turn. Claude Code asks for 32,000.
            if case .object(var object) = chat, object["max_tokens"] == nil {
                object["max_tokens"] = .int(Self.agentMaxTokens)
                chat = .object(object)
            }
            return try OpenAIToAnthropic.request(chat, model: upstreamModel).encoded
        case (.responses, _):
            let (chat, context) = try ResponsesToChat.request(request, model: upstreamModel)
            self.responsesContext = context
            return chat.encoded
        }
    }

    /// `max_tokens` for a Responses request to Messages that set no `max_output_tokens`.
    public static let agentMaxTokens = 32_000

    /// A successful whole answer as the client must receive it.
    public func clientBody(_ body: ByteBuffer, created: Int) throws(GatewayError) -> ByteBuffer {
        if self.isPassThrough { return body }
        guard let answer = JSONValue(parsing: body) else {
            throw .upstreamFailed("The upstream answered with a body that is not JSON.")
        }
        switch (self.caller, self.upstream) {
        case (.gemini, .anthropic):
            let chat = try AnthropicToOpenAI.response(answer, created: created)
            return try GeminiToChat.response(chat, model: self.upstreamModel).encoded
        case (.gemini, _): return try GeminiToChat.response(answer, model: self.upstreamModel).encoded
        case (.anthropic, .gemini):
            return try OpenAIToAnthropic.response(try ChatToGemini.response(answer, model: self.upstreamModel, created: created)).encoded
        case (.openAI, .gemini): return try ChatToGemini.response(answer, model: self.upstreamModel, created: created).encoded
        case (.responses, .gemini):
            let chat = try ChatToGemini.response(answer, model: self.upstreamModel, created: created)
            return try ChatToResponses.response(chat, context: self.responsesContext, created: created).encoded
        case (.anthropic, _): return try OpenAIToAnthropic.response(answer).encoded
        case (.openAI, _): return try AnthropicToOpenAI.response(answer, created: created).encoded
        case (.responses, .anthropic):
            let chat = try AnthropicToOpenAI.response(answer, created: created, carriesSignatures: true)
            return try ChatToResponses.response(chat, context: self.responsesContext, created: created).encoded
        case (.responses, _):
            return try ChatToResponses.response(answer, context: self.responsesContext, created: created).encoded
        }
    }

    /// The translator for a streamed answer; `nil` when the stream passes through.
    public func streamTranslator(model: String, created: Int, includeUsage: Bool) -> (any StreamTranslator)? {
        switch (self.caller, self.upstream) {
        case (.gemini, .openAI): GeminiToChatStream(model: model)
        case (.gemini, .anthropic):
            ChainedStreamTranslator(
                AnthropicToOpenAIStream(model: model, created: created, includeUsage: true), then: GeminiToChatStream(model: model))
        case (.gemini, .responses): nil
        case (.openAI, .gemini): ChatToGeminiStream(model: model, created: created, includeUsage: includeUsage)
        case (.anthropic, .gemini):
            ChainedStreamTranslator(
                ChatToGeminiStream(model: model, created: created, includeUsage: true), then: OpenAIToAnthropicStream(model: model))
        case (.responses, .gemini):
            ChainedStreamTranslator(
                ChatToGeminiStream(model: model, created: created, includeUsage: true),
                then: ChatToResponsesStream(context: self.responsesContext, created: created))
        case (.anthropic, .openAI): OpenAIToAnthropicStream(model: model)
        case (.openAI, .anthropic): AnthropicToOpenAIStream(model: model, created: created, includeUsage: includeUsage)
        case (.responses, .openAI): ChatToResponsesStream(context: self.responsesContext, created: created)
        case (.responses, .anthropic):
            ChainedStreamTranslator(
                AnthropicToOpenAIStream(model: model, created: created, includeUsage: true, carriesSignatures: true),
                then: ChatToResponsesStream(context: self.responsesContext, created: created))
        default: nil
        }
    }

    /// An upstream error body in the caller's format; `nil` if it has no message to keep.
    public func clientErrorBody(_ body: ByteBuffer, status: Int) -> ByteBuffer? {
        ErrorTranslation.body(body, status: status, from: self.upstream, to: self.caller)
    }
}
