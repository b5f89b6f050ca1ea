import NIOCore

/// The mock's embeddings: for each input a deterministic vector derived from a hash of its text
/// (FNV-1a seeding a xorshift generator), so tests can compare vectors across calls and routes.
public enum MockEmbedding {
    public static let defaultDimensions = 16

    /// The vector of `text`, `dimensions` long, each value in -1...1.
    public static func vector(_ text: String, dimensions: Int = Self.defaultDimensions) -> [Float] {
        var state: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            state ^= UInt64(byte)
            state = state &* 0x100_0000_01b3
        }
        if state == 0 { state = 1 }
        return (0..<max(1, min(dimensions, 4096))).map { _ in
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return Float(Double(state % 2_000_001) / 1_000_000 - 1)
        }
    }

    /// The texts of an OpenAI embeddings request's `input` (a string, or an array of strings;
    /// token arrays are read as their numbers' text); nil if it has none.
    public static func inputs(ofOpenAIRequest request: JSONValue) -> [String]? {
        switch request["input"] {
        case .string(let text)?: return [text]
        case .array(let items)? where !items.isEmpty:
            if items.allSatisfy({ $0.intValue != nil }) { return [items.map { String($0.intValue ?? 0) }.joined(separator: " ")] }
            let texts = items.map { item -> String in
                if let text = item.stringValue { return text }
                return (item.arrayValue ?? []).map { String($0.intValue ?? 0) }.joined(separator: " ")
            }
            return texts
        default: return nil
        }
    }

    /// An OpenAI embeddings answer (`encoding_format` `float` or `base64`); nil for a request
    /// without input.
    public static func openAI(_ request: JSONValue) -> JSONValue? {
        guard let texts = Self.inputs(ofOpenAIRequest: request) else { return nil }
        let dimensions = request["dimensions"]?.intValue ?? Self.defaultDimensions
        let base64 = request["encoding_format"]?.stringValue == "base64"
        let data: [JSONValue] = texts.enumerated().map { index, text in
            let vector = Self.vector(text, dimensions: dimensions)
            return .object([
                "object": .string("embedding"), "index": .int(index),
                "embedding": EmbeddingEncoding.value(vector, base64: base64),
            ])
        }
        let tokens = texts.reduce(0) { $0 + max(1, $1.utf8.count / 4) }
        return .object([
            "object": .string("list"), "data": .array(data), "model": request["model"] ?? .string("mock"),
            "usage": .object(["prompt_tokens": .int(tokens), "total_tokens": .int(tokens)]),
        ])
    }

    /// The text a Gemini embeddings request may hold for the mock to refuse it (400), as a
    /// provider refuses an input it cannot embed.
    public static let refusedText = "x-mock-refuse"

    /// Whether a Gemini `embedContent` or `batchEmbedContents` request holds `refusedText`.
    public static func refuses(_ request: JSONValue) -> Bool {
        let items = request["requests"]?.arrayValue ?? [request]
        return items.contains { GeminiToChat.text(of: $0["content"]?["parts"]?.arrayValue ?? []) == Self.refusedText }
    }

    /// A Gemini `batchEmbedContents` answer.
    public static func geminiBatch(_ request: JSONValue) -> JSONValue {
        .object(["embeddings": .array((request["requests"]?.arrayValue ?? []).map(Self.gemini))])
    }

    /// A Gemini `embedContent` answer.
    public static func geminiSingle(_ request: JSONValue) -> JSONValue {
        .object(["embedding": Self.gemini(request)])
    }

    /// `{"values": [...]}` for one Gemini embedding request.
    private static func gemini(_ item: JSONValue) -> JSONValue {
        let text = GeminiToChat.text(of: item["content"]?["parts"]?.arrayValue ?? [])
        let dimensions = GeminiEmbedRequest.outputDimensionality(of: item)?.intValue ?? Self.defaultDimensions
        return .object(["values": .array(Self.vector(text, dimensions: dimensions).map { .double(Double($0)) })])
    }
}
