import FoundationEssentials
import NIOCore

/// What the gateway must know of a completion request body (OpenAI Chat Completions, Anthropic
/// Messages, or the Responses API, whose conversation is `input`), and no more.
public struct CompletionRequestSummary: Sendable, Equatable {
    public var model: String
    public var stream: Bool
    /// Whether the body has a `stream_options` object, and what it says of usage.
    public var hasStreamOptions: Bool
    public var includeUsage: Bool
    /// Anthropic's `metadata.user_id`, or the Responses API's `prompt_cache_key`: keeps a
    /// conversation on one upstream account.
    public var sessionKey: String?
    /// The Responses API's `previous_response_id`: the stored response this request continues.
    public var previousResponseID: String?
    /// The most output tokens the request asks for: `max_tokens` (Chat Completions and
    /// Messages), `max_completion_tokens` (Chat Completions, which wins) or `max_output_tokens`
    /// (Responses).
    public var maxOutputTokens: Int?
    /// Where the `model` value is in the body (offsets from its reader index, quotes included):
    /// an alias is spliced in there without reading the body again. Whoever replaces the body
    /// (a kept Responses conversation) sets it to nil.
    public var modelRange: Range<Int>?

    /// Validates the body as JSON, the fields the API requires, and reads those routing needs.
    /// The rest of the body is not interpreted: it goes upstream as received.
    public init(body: ByteBuffer, format: APIFormat = .openAI) throws(GatewayError) {
        self = try body.withUnsafeReadableBytes { Self.scan($0, isResponses: format == .responses) }.get()
    }

    init(model: String, stream: Bool, streamOptions: (present: Bool, includeUsage: Bool), sessionKey: String?) {
        self.model = model
        self.stream = stream
        self.hasStreamOptions = streamOptions.present
        self.includeUsage = streamOptions.includeUsage
        self.sessionKey = sessionKey
    }

    private static func scan(_ bytes: UnsafeRawBufferPointer, isResponses: Bool) -> Result<Self, GatewayError> {
        var model: JSONScanner.Span?
        var stream: JSONScanner.Span?
        var messages: JSONScanner.Span?
        var streamOptions: JSONScanner.Span?
        var metadata: JSONScanner.Span?
        var input: JSONScanner.Span?
        var promptCacheKey: JSONScanner.Span?
        var previousResponse: JSONScanner.Span?
        var maxTokens: (name: String, span: JSONScanner.Span)?
        var keys = TopLevelKeys(bytes)
        var keyProblem: GatewayError?
        do {
            try JSONScanner.members(ofObject: bytes) { key, value throws(JSONScanner.Invalid) in
                if keyProblem == nil { keyProblem = keys.add(key) }
                // `null` is an absent optional field, as for a decoder.
                guard value.kind != .null else { return }
                switch key.count {
                case 5 where key.elementsEqual("model".utf8): model = value
                case 6 where key.elementsEqual("stream".utf8): stream = value
                case 5 where key.elementsEqual("input".utf8): input = value
                case 16 where key.elementsEqual("prompt_cache_key".utf8): promptCacheKey = value
                case 20 where key.elementsEqual("previous_response_id".utf8): previousResponse = value
                case 8 where key.elementsEqual("messages".utf8): messages = value
                case 8 where key.elementsEqual("metadata".utf8): metadata = value
                case 14 where key.elementsEqual("stream_options".utf8): streamOptions = value
                case 10 where key.elementsEqual("max_tokens".utf8) && !isResponses:
                    if maxTokens == nil { maxTokens = ("max_tokens", value) }
                case 21 where key.elementsEqual("max_completion_tokens".utf8) && !isResponses: maxTokens = ("max_completion_tokens", value)
                case 17 where key.elementsEqual("max_output_tokens".utf8) && isResponses: maxTokens = ("max_output_tokens", value)
                default: break
                }
            }
        } catch {
            return .failure(.badRequest("The request body is not valid JSON (an object is expected)."))
        }
        if let keyProblem { return .failure(keyProblem) }
        guard let model else { return .failure(.badRequest("'model' is required.")) }
        guard model.kind == .string else { return .failure(Self.wrongType("model")) }
        guard let modelName = Self.string(model, in: bytes), !modelName.isEmpty else {
            return .failure(.badRequest("'model' is required."))
        }
        if isResponses {
            guard let input else { return .failure(.badRequest("'input' is required.")) }
            guard input.kind == .array || input.kind == .string else { return .failure(Self.wrongType("input")) }
        } else {
            guard let messages else { return .failure(.badRequest("'messages' is required.")) }
            guard messages.kind == .array else { return .failure(Self.wrongType("messages")) }
            let inside = bytes[(messages.range.lowerBound + 1)..<(messages.range.upperBound - 1)]
            guard inside.contains(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }) else {
                return .failure(.badRequest("'messages' must contain at least one message."))
            }
        }
        if let stream, stream.kind != .bool { return .failure(Self.wrongType("stream")) }
        var includeUsage: Bool?
        if let streamOptions {
            guard streamOptions.kind == .object else { return .failure(Self.wrongType("stream_options")) }
            if let member = Self.member("include_usage", of: streamOptions, in: bytes) {
                guard member.kind == .bool else { return .failure(Self.wrongType("stream_options.include_usage")) }
                includeUsage = bytes[member.range.lowerBound] == UInt8(ascii: "t")
            }
        }
        var sessionKey: String?
        if let metadata {
            guard metadata.kind == .object else { return .failure(Self.wrongType("metadata")) }
            if let member = Self.member("user_id", of: metadata, in: bytes) {
                guard member.kind == .string else { return .failure(Self.wrongType("metadata.user_id")) }
                sessionKey = Self.string(member, in: bytes)
            }
        }
        if isResponses, let promptCacheKey {
            guard promptCacheKey.kind == .string else { return .failure(Self.wrongType("prompt_cache_key")) }
            sessionKey = sessionKey ?? Self.string(promptCacheKey, in: bytes)
        }
        var summary = Self(
            model: modelName,
            stream: stream.map { bytes[$0.range.lowerBound] == UInt8(ascii: "t") } ?? false,
            streamOptions: (streamOptions != nil, includeUsage ?? false),
            sessionKey: sessionKey
        )
        summary.modelRange = model.range
        if let maxTokens {
            guard let count = JSONScanner.count(maxTokens.span, in: bytes) else {
                return .failure(.badRequest("'\(maxTokens.name)' must be a non-negative integer."))
            }
            summary.maxOutputTokens = count
        }
        if isResponses, let previousResponse {
            guard previousResponse.kind == .string else { return .failure(Self.wrongType("previous_response_id")) }
            summary.previousResponseID = Self.string(previousResponse, in: bytes)
        }
        return .success(summary)
    }

    private static func wrongType(_ path: String) -> GatewayError {
        .badRequest("'\(path)' has the wrong type.")
    }

    /// The member `name` of the (already validated) object `object`, unless absent or null.
    private static func member(_ name: String, of object: JSONScanner.Span, in bytes: UnsafeRawBufferPointer) -> JSONScanner.Span? {
        var found: JSONScanner.Span?
        let objectBytes = UnsafeRawBufferPointer(rebasing: bytes[object.range])
        do {
            try JSONScanner.members(ofObject: objectBytes) { key, value throws(JSONScanner.Invalid) in
                if value.kind != .null, key.elementsEqual(name.utf8) {
                    let offset = object.range.lowerBound
                    found = JSONScanner.Span(kind: value.kind, range: (value.range.lowerBound + offset)..<(value.range.upperBound + offset))
                }
            }
        } catch {
            return nil
        }
        return found
    }

    /// A string value's text; escapes (rare in a model name) are decoded by `JSONDecoder`.
    private static func string(_ span: JSONScanner.Span, in bytes: UnsafeRawBufferPointer) -> String? {
        if let plain = JSONScanner.plainString(span, in: bytes) { return plain }
        return try? JSONDecoder().decode(String.self, from: Data(bytes[span.range]))
    }
}

extension Data {
    init(buffer: ByteBuffer) {
        self = buffer.withUnsafeReadableBytes { Data($0) }
    }
}
