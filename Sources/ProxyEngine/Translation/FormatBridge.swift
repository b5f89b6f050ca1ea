import FoundationEssentials
import NIOCore

/// How one request crosses between the format its client speaks and the format its upstream
/// speaks: the same format passes through untouched (bytes as received, bar an aliased model
/// name); different formats are translated both ways.
public struct FormatBridge: Sendable {
    public let caller: APIFormat
    public let upstream: APIFormat

    public init(caller: APIFormat, upstream: APIFormat) {
        self.caller = caller
        self.upstream = upstream
    }

    public var isPassThrough: Bool { self.caller == self.upstream }

    /// The path after the upstream's API root.
    public var upstreamPath: String {
        switch self.upstream {
        case .openAI: "/chat/completions"
        case .anthropic: "/messages"
        }
    }

    /// The body to send upstream as `upstreamModel`.
    public func upstreamBody(_ body: ByteBuffer, upstreamModel: String, isAliased: Bool) throws(GatewayError) -> ByteBuffer {
        if self.isPassThrough {
            guard isAliased else { return body }
            guard let rewritten = JSONModelRewriter.rewritingModel(in: body, to: upstreamModel) else {
                throw .badRequest("'model' must be a top-level string.")
            }
            return rewritten
        }
        guard let request = JSONValue(parsing: body) else { throw .badRequest("The request body is not valid JSON.") }
        switch self.caller {
        case .anthropic: return try AnthropicToOpenAI.request(request, model: upstreamModel).encoded
        case .openAI: return try OpenAIToAnthropic.request(request, model: upstreamModel).encoded
        }
    }

    /// A successful whole answer as the client must receive it.
    public func clientBody(_ body: ByteBuffer, created: Int) throws(GatewayError) -> ByteBuffer {
        if self.isPassThrough { return body }
        guard let answer = JSONValue(parsing: body) else {
            throw .upstreamFailed("The upstream answered with a body that is not JSON.")
        }
        switch self.caller {
        case .anthropic: return try OpenAIToAnthropic.response(answer).encoded
        case .openAI: return try AnthropicToOpenAI.response(answer, created: created).encoded
        }
    }

    /// The translator for a streamed answer; `nil` when the stream passes through.
    public func streamTranslator(model: String, created: Int, includeUsage: Bool) -> (any StreamTranslator)? {
        switch (self.caller, self.upstream) {
        case (.anthropic, .openAI): OpenAIToAnthropicStream(model: model)
        case (.openAI, .anthropic): AnthropicToOpenAIStream(model: model, created: created, includeUsage: includeUsage)
        default: nil
        }
    }

    /// An upstream error body in the caller's format; `nil` if it has no message to keep.
    public func clientErrorBody(_ body: ByteBuffer, status: Int) -> ByteBuffer? {
        ErrorTranslation.body(body, status: status, from: self.upstream, to: self.caller)
    }
}
