import Foundation
import NIOCore
import ProxyConfig
import ProxyEngine

/// One libFuzzer target: a function of arbitrary bytes that must never crash, hang or break an
/// invariant (a broken invariant is a `precondition` failure, which libFuzzer reports as a crash).
enum FuzzTarget: String, CaseIterable {
    case sse, summary, rewriter, openAIToAnthropic = "openai-to-anthropic", anthropicToOpenAI = "anthropic-to-openai", config
    case chatToResponses = "chat-to-responses", anthropicToResponses = "anthropic-to-responses", responsesRequest = "responses-request"
    case jsonValue = "json-value"
    case geminiToChatStream = "gemini-to-chat-stream", chatToGeminiStream = "chat-to-gemini-stream"
    case geminiRequest = "gemini-request", chatToGeminiRequest = "chat-to-gemini-request", geminiAnswers = "gemini-answers"
    case embeddingsRequest = "embeddings-request"

    func run(_ bytes: UnsafeRawBufferPointer) {
        switch self {
        case .sse: Self.sse(bytes)
        case .summary: Self.summary(bytes)
        case .rewriter: Self.rewriter(bytes)
        case .openAIToAnthropic: Self.translate(bytes, OpenAIToAnthropicStream(model: "m"))
        case .anthropicToOpenAI: Self.translate(bytes, AnthropicToOpenAIStream(model: "m", created: 0, includeUsage: true))
        case .config: Self.config(bytes)
        case .chatToResponses: Self.translate(bytes, ChatToResponsesStream(context: ResponsesRequestContext(), created: 0))
        case .anthropicToResponses:
            Self.translate(
                bytes,
                ChainedStreamTranslator(
                    AnthropicToOpenAIStream(model: "m", created: 0, includeUsage: true),
                    then: ChatToResponsesStream(context: ResponsesRequestContext(), created: 0)))
        case .responsesRequest: Self.responsesRequest(bytes)
        case .jsonValue: Self.jsonValue(bytes)
        case .geminiToChatStream:
            Self.translate(
                bytes,
                ChainedStreamTranslator(
                    ChatToGeminiStream(model: "m", created: 0, includeUsage: true), then: OpenAIToAnthropicStream(model: "m")))
        case .chatToGeminiStream: Self.translate(bytes, GeminiToChatStream(model: "m"))
        case .geminiRequest: Self.geminiRequest(bytes)
        case .chatToGeminiRequest: Self.chatToGeminiRequest(bytes)
        case .geminiAnswers: Self.geminiAnswers(bytes)
        case .embeddingsRequest: Self.embeddingsRequest(bytes)
        }
    }

    /// A Gemini request the door accepts becomes a Chat request, and on to Messages, that are
    /// JSON objects; its output limit reads back after lowering.
    static func geminiRequest(_ bytes: UnsafeRawBufferPointer) {
        let body = ByteBuffer(bytes: bytes)
        guard (try? CompletionRequestSummary(geminiBody: body, model: "m", stream: true)) != nil,
            let request = JSONValue(parsing: body), let chat = try? GeminiToChat.request(request, model: "m", stream: true)
        else { return }
        precondition(JSONValue(parsing: chat.encoded) != nil, "the Chat request is not JSON")
        if let anthropic = try? OpenAIToAnthropic.request(chat, model: "m") {
            precondition(JSONValue(parsing: anthropic.encoded) != nil, "the Messages request is not JSON")
        }
        if let lowered = OutputTokenLimit.lowering(to: 7, in: body, format: .gemini, model: "m") {
            precondition(OutputTokenLimit.value(in: lowered, format: .gemini) == 7, "the lowered limit does not read back")
        }
    }

    /// A Chat request (or a Messages one, through the hub) becomes a Gemini request that is a
    /// JSON object with `contents`.
    static func chatToGeminiRequest(_ bytes: UnsafeRawBufferPointer) {
        guard let request = JSONValue(parsing: ByteBuffer(bytes: bytes)) else { return }
        if let gemini = try? ChatToGemini.request(request) {
            precondition(JSONValue(parsing: gemini.encoded)?["contents"]?.arrayValue != nil, "the Gemini request has no contents")
        }
        if let chat = try? AnthropicToOpenAI.request(request, model: "m"), let gemini = try? ChatToGemini.request(chat) {
            precondition(JSONValue(parsing: gemini.encoded) != nil, "the Gemini request is not JSON")
        }
    }

    /// A Gemini answer becomes a Chat answer with one choice, and on to Messages; a Chat answer
    /// becomes a Gemini answer with one candidate.
    static func geminiAnswers(_ bytes: UnsafeRawBufferPointer) {
        guard let answer = JSONValue(parsing: ByteBuffer(bytes: bytes)) else { return }
        if let chat = try? ChatToGemini.response(answer, model: "m", created: 0) {
            precondition(chat["choices"]?.arrayValue?.count == 1, "a Chat answer without its one choice")
            _ = try? OpenAIToAnthropic.response(chat)
        }
        if let gemini = try? GeminiToChat.response(answer, model: "m") {
            precondition(gemini["candidates"]?.arrayValue?.count == 1, "a Gemini answer without its one candidate")
        }
        _ = TokenUsage.lastReported(in: ByteBuffer(bytes: bytes), format: .gemini)
    }

    /// An accepted embeddings request has inputs, and its Gemini batch one request per input;
    /// read as Gemini's (`embedContent`, `batchEmbedContents`), the same bytes give an OpenAI
    /// request of one input per content, a Gemini body that is JSON, and a Gemini answer of one
    /// vector per input from an OpenAI answer in reverse order.
    static func embeddingsRequest(_ bytes: UnsafeRawBufferPointer) {
        let body = ByteBuffer(bytes: bytes)
        if let request = try? EmbeddingsRequest(body: body) {
            precondition(!request.inputs.isEmpty && request.estimatedTokens > 0, "an accepted request without input")
            let batches = GeminiEmbeddings.requests(request, model: "m")
            let counts = batches.map { $0.body["requests"]?.arrayValue?.count ?? 0 }
            precondition(counts.reduce(0, +) == request.inputs.count, "not one request per input")
            precondition(counts.allSatisfy { $0 > 0 && $0 <= GeminiEmbeddings.maximumInputs }, "a batch Gemini would refuse")
        }
        for method in [GeminiEmbedRequest.Method.single, .batch] {
            guard let request = try? GeminiEmbedRequest(body: body, model: "m", method: method) else { continue }
            let count = request.embeddings.inputs.count
            precondition(count > 0 && (method == .batch || count == 1), "a Gemini request without its inputs")
            precondition(JSONValue(parsing: request.geminiBody(model: "n")) != nil, "the Gemini body is not JSON")
            precondition(
                JSONValue(parsing: request.openAIBody(model: "n"))?["input"]?.arrayValue?.count == count, "not one OpenAI input per content"
            )
            let data: [JSONValue] = (0..<count).reversed().map { .object(["index": .int($0), "embedding": .array([.int($0)])]) }
            let answer = try? request.answer(fromOpenAI: .object(["data": .array(data)]))
            let vectors = method == .single ? answer?["embedding"].map { [$0] } : answer?["embeddings"]?.arrayValue
            precondition(vectors?.enumerated().allSatisfy { $1["values"] == .array([.int($0)]) } == true, "vectors out of order")
        }
    }

    /// A Responses request the gateway accepts becomes a Chat request, and on to Messages, that
    /// are JSON objects; every upstream tool name maps back to one the client gave.
    static func responsesRequest(_ bytes: UnsafeRawBufferPointer) {
        let body = ByteBuffer(bytes: bytes)
        guard let request = JSONValue(parsing: body), let (chat, context) = try? ResponsesToChat.request(request, model: "m") else {
            return
        }
        precondition(JSONValue(parsing: chat.encoded) != nil, "the Chat request is not JSON")
        for tool in chat["tools"]?.arrayValue ?? [] {
            let name = tool["function"]?["name"]?.stringValue ?? ""
            precondition(name.utf8.count <= 64 || context.toolNames.original(name).namespace == nil, "a flattened name is too long")
        }
        if let anthropic = try? OpenAIToAnthropic.request(chat, model: "m") {
            precondition(JSONValue(parsing: anthropic.encoded) != nil, "the Messages request is not JSON")
        }
    }

    /// What a translated body is read into: what the gateway's parser accepts, `JSONDecoder`
    /// accepts and reads to the same value, and what the gateway writes reads back as it was.
    ///
    /// The parser refuses some text `JSONDecoder` lets through: a NUL byte after the value, a
    /// raw control character in some strings, anything in the value of a repeated key (which
    /// `JSONDecoder` never reads). And numbers past a double's 15 exact digits may round
    /// another way (`JSONDecoder` reads `-20288888888888882.52` as that integer, truncated): such
    /// inputs are only checked for reading back.
    static func jsonValue(_ bytes: UnsafeRawBufferPointer) {
        guard let parsed = JSONValue(parsing: ByteBuffer(bytes: bytes)) else { return }
        precondition(JSONValue(parsing: parsed.encoded) == parsed, "a written value does not read back")
        var digits = 0
        for byte in bytes {
            digits = byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") ? digits + 1 : 0
            if digits > 15 { return }
        }
        let decoded = try? JSONDecoder().decode(JSONValue.self, from: Data(bytes))
        precondition(decoded == parsed, "the parser reads another value than JSONDecoder, or accepts what it refuses")
    }

    /// The first byte picks where the input is cut into chunks: an event's framing must not
    /// depend on how the network split it.
    static func sse(_ bytes: UnsafeRawBufferPointer) {
        guard let first = bytes.first else { return }
        let body = UnsafeRawBufferPointer(rebasing: bytes.dropFirst())
        let step = Int(first % 17) + 1
        var whole = SSEFramer(maximumEventBytes: 4096)
        var split = SSEFramer(maximumEventBytes: 4096)
        var wholeEvents = ByteBuffer()
        var splitEvents = ByteBuffer()
        let all = ByteBuffer(bytes: body)
        guard (try? whole.append(all)) != nil else { return }
        while var event = whole.nextEvent() { wholeEvents.writeBuffer(&event) }
        var offset = 0
        while offset < body.count {
            let end = min(body.count, offset + step)
            guard (try? split.append(ByteBuffer(bytes: body[offset..<end]))) != nil else { return }
            while var events = split.nextEvents() { splitEvents.writeBuffer(&events) }
            offset = end
        }
        precondition(wholeEvents == splitEvents, "framing depends on chunk boundaries")
        for format in [APIFormat.openAI, .anthropic, .responses, .gemini] { _ = StreamEndMarker.isIn(wholeEvents, format: format) }
        var framer = SSEFramer()
        try? framer.append(wholeEvents)
        while let event = framer.nextEvent() { _ = SSEEvent(parsing: event) }
    }

    static func summary(_ bytes: UnsafeRawBufferPointer) {
        let body = ByteBuffer(bytes: bytes)
        guard let summary = try? CompletionRequestSummary(body: body) else { return }
        // What the gateway accepted is JSON that Foundation parses too, to the same model. The
        // scanner leaves text encoding and the range of numbers to the upstream (see
        // `JSONScanner`): invalid UTF-8, lone surrogate escapes and a number past a double's
        // range (`-1.5e+324`, a 10-minute run found) are where the two differ by design.
        guard String(validating: bytes, as: UTF8.self) != nil, ByteSearch.contains(Array(#"\u"#.utf8), in: body) == false,
            !Self.mayOverflowADouble(bytes)
        else { return }
        let parsed = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]) as? [String: Any]
        precondition(parsed != nil, "accepted a body Foundation refuses")
        precondition(parsed?["model"] as? String == summary.model, "read another model than Foundation does")
        _ = TokenUsage.lastReported(in: body)
    }

    /// Whether some number's exponent has three digits or its digits run past 300: the numbers
    /// whose value may be out of a double's range.
    static func mayOverflowADouble(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var digits = 0
        var exponentDigits: Int?
        for byte in bytes {
            let isDigit = byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
            if byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
                exponentDigits = 0
            } else if isDigit, let count = exponentDigits {
                exponentDigits = count + 1
                if count + 1 >= 3 { return true }
            } else if byte != UInt8(ascii: "+") && byte != UInt8(ascii: "-") {
                exponentDigits = nil
            }
            digits = isDigit ? digits + 1 : 0
            if digits > 300 { return true }
        }
        return false
    }

    /// A rewritten body is still accepted, names the new model, and differs only there.
    static func rewriter(_ bytes: UnsafeRawBufferPointer) {
        let body = ByteBuffer(bytes: bytes)
        guard (try? CompletionRequestSummary(body: body)) != nil else { return }
        guard let rewritten = JSONModelRewriter.rewritingModel(in: body, to: "re\"written\\model") else {
            preconditionFailure("an accepted body has no model to rewrite")
        }
        let again = try? CompletionRequestSummary(body: rewritten)
        precondition(again?.model == "re\"written\\model", "the rewritten body does not name the new model")
        let spliced = JSONModelRewriter.rewritingModel(
            in: body, to: "re\"written\\model", at: (try? CompletionRequestSummary(body: body))?.modelRange)
        precondition(spliced == rewritten, "the summary's model range is not where the model is")
        _ = JSONModelRewriter.addingIncludeUsage(to: body).map { try? CompletionRequestSummary(body: $0) }
    }

    static func translate(_ bytes: UnsafeRawBufferPointer, _ translator: some StreamTranslator) {
        var translator = translator
        var offset = 0
        var output = ByteBuffer()
        while offset < bytes.count, !translator.isComplete {
            let end = min(bytes.count, offset + 64)
            var batch = translator.translate(batch: ByteBuffer(bytes: bytes[offset..<end]))
            output.writeBuffer(&batch.output)
            if batch.failure != nil { return }
            offset = end
        }
        var last = translator.finish()
        output.writeBuffer(&last.output)
        // Whatever the upstream sent, what the client gets is a well-framed event stream.
        var framer = SSEFramer()
        try? framer.append(output)
        while framer.nextEvents() != nil {}
        precondition(framer.unfinishedBytes == 0, "a translated stream ends mid-event")
    }

    static func config(_ bytes: UnsafeRawBufferPointer) {
        _ = try? ConfigLoader.parse(String(decoding: bytes, as: UTF8.self), environment: ["A": "1", "B": "inf"])
    }
}
