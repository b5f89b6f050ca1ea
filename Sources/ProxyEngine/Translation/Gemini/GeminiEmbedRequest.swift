import NIOCore

/// A Gemini door's `:embedContent` or `:batchEmbedContents` body, read as the embeddings hub's
/// request (`EmbeddingsRequest`, OpenAI's): each content's text parts make one input. A `gemini`
/// provider gets the body as sent (each item's model set to the upstream's); any other provider
/// that embeds gets OpenAI's request, and its answer back in Gemini's shape.
public struct GeminiEmbedRequest: Sendable {
    public enum Method: Sendable, Equatable {
        /// `:embedContent`: one `content`, answered with one `embedding`.
        case single
        /// `:batchEmbedContents`: `requests[]`, answered with `embeddings[]` in the same order.
        case batch

        public var name: String { self == .single ? "embedContent" : "batchEmbedContents" }
    }

    public let method: Method
    /// The hub's view: the path's model, one input per content (its text parts), the dimensions
    /// asked for.
    public let embeddings: EmbeddingsRequest
    /// Why OpenAI's request cannot say what this one asks, if it cannot: a part that is not text,
    /// or a batch asking for several sizes. A Gemini upstream takes it as sent.
    public let untranslatable: String?
    private let body: JSONObject

    public init(body buffer: ByteBuffer, model: String, method: Method) throws(GatewayError) {
        guard case .object(let body)? = JSONValue(parsing: buffer) else {
            throw .badRequest("The request body is not valid JSON (an object is expected).")
        }
        let items: [JSONValue]
        switch method {
        case .single:
            items = [.object(body)]
        case .batch:
            guard let requests = body["requests"]?.arrayValue, !requests.isEmpty else {
                throw .badRequest("'requests' must be a non-empty array.")
            }
            guard requests.count <= EmbeddingsRequest.maximumInputs else {
                throw .badRequest("'requests' may hold at most \(EmbeddingsRequest.maximumInputs) items.")
            }
            items = requests
        }
        var inputs: [String] = []
        inputs.reserveCapacity(items.count)
        var dimensions: Int?
        var untranslatable: String?
        for (index, item) in items.enumerated() {
            let place = method == .single ? "" : "requests[\(index)]."
            guard case .object = item else { throw .badRequest("'requests[\(index)]' must be an object.") }
            guard let parts = item["content"]?["parts"]?.arrayValue, !parts.isEmpty else {
                throw .badRequest("'\(place)content.parts' must be a non-empty array.")
            }
            if untranslatable == nil, !parts.allSatisfy({ $0["text"]?.stringValue != nil }) {
                untranslatable = "'\(place)content.parts' holds a part that is not text"
            }
            inputs.append(GeminiToChat.text(of: parts))
            if let asked = Self.outputDimensionality(of: item), asked != .null {
                guard let count = asked.intValue, count > 0 else {
                    throw .badRequest("'\(place)outputDimensionality' must be a positive integer.")
                }
                if untranslatable == nil, let dimensions, dimensions != count {
                    untranslatable = "the batch asks for more than one 'outputDimensionality'"
                }
                dimensions = dimensions ?? count
            }
        }
        self.untranslatable = untranslatable
        self.method = method
        self.body = body
        self.embeddings = EmbeddingsRequest(model: model, inputs: inputs, dimensions: dimensions)
    }

    /// An item's `outputDimensionality`: on the item (the Gemini API's form, what google-genai
    /// sends it), or under `embedContentConfig` (Vertex's form).
    public static func outputDimensionality(of item: JSONValue) -> JSONValue? {
        item["outputDimensionality"] ?? item["embedContentConfig"]?["outputDimensionality"]
    }

    /// The body for a Gemini upstream serving `model`: as sent, with each item that names a
    /// model (every one of a batch must) naming the upstream's.
    public func geminiBody(model: String) -> ByteBuffer {
        let name = JSONValue.string("models/" + model)
        var body = self.body
        switch self.method {
        case .single:
            if body["model"] != nil { body["model"] = name }
        case .batch:
            body["requests"] = .array(
                (body["requests"]?.arrayValue ?? []).map { item in
                    guard case .object(var fields) = item else { return item }
                    fields["model"] = name
                    return .object(fields)
                })
        }
        return JSONValue.object(body).encoded
    }

    /// The OpenAI embeddings body for an upstream serving `model`: float vectors, in order.
    public func openAIBody(model: String) -> ByteBuffer {
        var request: JSONObject = [
            "model": .string(model), "input": .array(self.embeddings.inputs.map { .string($0) }),
            "encoding_format": .string("float"),
        ]
        if let dimensions = self.embeddings.dimensions { request["dimensions"] = .int(dimensions) }
        return JSONValue.object(request).encoded
    }

    /// Gemini's answer for an OpenAI embeddings `answer`: `embedding` or `embeddings[]`, each
    /// `{"values": [...]}`, in the order of the request's contents.
    public func answer(fromOpenAI answer: JSONValue) throws(GatewayError) -> JSONValue {
        guard let data = answer["data"]?.arrayValue, data.count == self.embeddings.inputs.count else {
            throw .upstreamFailed("The upstream's answer does not hold one embedding per input.")
        }
        var vectors = [JSONValue?](repeating: nil, count: data.count)
        for (position, item) in data.enumerated() {
            let index = item["index"]?.intValue ?? position
            guard vectors.indices.contains(index), vectors[index] == nil, let values = GeminiEmbeddings.numbers(item["embedding"]) else {
                throw .upstreamFailed("The upstream's embedding \(position) is not a list of numbers at a new index.")
            }
            vectors[index] = .object(["values": .array(values)])
        }
        let embeddings = vectors.map { $0 ?? .null }
        switch self.method {
        case .single: return .object(["embedding": embeddings[0]])
        case .batch: return .object(["embeddings": .array(embeddings)])
        }
    }
}
