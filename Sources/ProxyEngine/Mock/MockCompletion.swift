import NIOCore

/// Generated OpenAI Chat Completions answers, shared by the in-process `mock` provider and the
/// `proxy-mock` upstream so both speak byte-identical bodies.
///
/// The answer to any request is `chunks` pieces `"tok0 "`, `"tok1 "`, ...: tests can check a
/// reassembled stream exactly.
public struct MockCompletion: Sendable {
    public var id: String
    public var model: String
    public var created: Int
    public var chunks: Int
    public var promptTokens: Int

    public init(id: String, model: String, created: Int, chunks: Int, promptTokens: Int = 10) {
        self.id = id
        self.model = model
        self.created = created
        self.chunks = chunks
        self.promptTokens = promptTokens
    }

    public static func piece(_ index: Int) -> String { "tok\(index) " }

    public var text: String { (0..<self.chunks).map(Self.piece).joined() }

    /// One piece is one completion token.
    public var completionTokens: Int { self.chunks }

    /// The non-streaming `chat.completion` object.
    public func completionBody() -> ByteBuffer {
        var json = JSONWriter(capacity: 384 + self.chunks * 6)
        json.append(#"{"id":"#)
        json.appendString(self.id)
        json.append(#","object":"chat.completion","created":"#)
        json.appendInt(self.created)
        json.append(#","model":"#)
        json.appendString(self.model)
        json.append(#","choices":[{"index":0,"message":{"role":"assistant","content":"#)
        json.appendString(self.text)
        json.append(#"},"logprobs":null,"finish_reason":"stop"}],"#)
        self.appendUsage(&json)
        json.append("}")
        return json.buffer
    }

    /// The `index`-th streamed event: the role first, then one piece per event, then the finish.
    /// There are `chunks + 2` events, then the usage event if asked for, then `[DONE]`.
    public func streamEvent(_ index: Int, includeUsage: Bool = false) -> ByteBuffer {
        if index > 0 && index <= self.chunks { return self.contentEvent(Self.piece(index - 1), includeUsage: includeUsage) }
        var json = self.chunkPrefix()
        json.append(#","choices":[{"index":0,"delta":"#)
        if index == 0 {
            json.append(#"{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]"#)
        } else {
            json.append(#"{},"logprobs":null,"finish_reason":"stop"}]"#)
        }
        if includeUsage { json.append(#","usage":null"#) }
        json.append("}\n\n")
        return json.buffer
    }

    /// A streamed event whose delta is `text`.
    public func contentEvent(_ text: String, includeUsage: Bool = false) -> ByteBuffer {
        var json = self.chunkPrefix()
        json.append(#","choices":[{"index":0,"delta":{"content":"#)
        json.appendString(text)
        json.append(#"},"logprobs":null,"finish_reason":null}]"#)
        if includeUsage { json.append(#","usage":null"#) }
        json.append("}\n\n")
        return json.buffer
    }

    public var streamEventCount: Int { self.chunks + 2 }

    /// The extra chunk OpenAI sends when `stream_options.include_usage` is set.
    public func usageEvent() -> ByteBuffer {
        var json = self.chunkPrefix()
        json.append(#","choices":[],"#)
        self.appendUsage(&json)
        json.append("}\n\n")
        return json.buffer
    }

    /// `data: {"id":...,"object":"chat.completion.chunk","created":...,"model":...` of every chunk.
    private func chunkPrefix() -> JSONWriter {
        var json = JSONWriter(capacity: 256)
        json.append("data: ")
        json.append(#"{"id":"#)
        json.appendString(self.id)
        json.append(#","object":"chat.completion.chunk","created":"#)
        json.appendInt(self.created)
        json.append(#","model":"#)
        json.appendString(self.model)
        return json
    }

    public static let doneEvent: ByteBuffer = ByteBuffer(string: "data: [DONE]\n\n")

    private func appendUsage(_ json: inout JSONWriter) {
        json.append(#""usage":{"prompt_tokens":"#)
        json.appendInt(self.promptTokens)
        json.append(#","completion_tokens":"#)
        json.appendInt(self.completionTokens)
        json.append(#","total_tokens":"#)
        json.appendInt(self.promptTokens + self.completionTokens)
        json.append("}")
    }
}
