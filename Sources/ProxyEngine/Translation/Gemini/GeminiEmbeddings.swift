/// OpenAI's embeddings on a Gemini upstream: a request becomes one `batchEmbedContents` call
/// (a `requests` item per input), and its `embeddings` the OpenAI list, in input order.
/// Gemini reports no tokens for embeddings: the usage is the request's estimate.
public enum GeminiEmbeddings {
    /// `batchEmbedContents` takes at most this many requests in one call.
    public static let maximumInputs = 100

    /// The `batchEmbedContents` body for `request`, to `model`.
    public static func request(_ request: EmbeddingsRequest, model: String) -> JSONValue {
        let items: [JSONValue] = request.inputs.map { text in
            var item: JSONObject = [
                "model": .string("models/" + model),
                "content": .object(["parts": .array([.object(["text": .string(text)])])]),
            ]
            if let dimensions = request.dimensions { item["outputDimensionality"] = .int(dimensions) }
            return .object(item)
        }
        return .object(["requests": .array(items)])
    }

    /// The OpenAI embeddings list for a `batchEmbedContents` answer; `model` is the name the
    /// client asked for.
    public static func response(_ answer: JSONValue, request: EmbeddingsRequest, model: String) throws(GatewayError) -> JSONValue {
        guard let embeddings = answer["embeddings"]?.arrayValue, embeddings.count == request.inputs.count else {
            throw .upstreamFailed("The upstream's answer does not hold one embedding per input.")
        }
        var data: [JSONValue] = []
        data.reserveCapacity(embeddings.count)
        for (index, embedding) in embeddings.enumerated() {
            guard let values = embedding["values"]?.arrayValue else {
                throw .upstreamFailed("The upstream's embedding \(index) has no values.")
            }
            let vector = values.map { Float($0.doubleValue ?? 0) }
            data.append(
                .object([
                    "object": .string("embedding"), "index": .int(index),
                    "embedding": EmbeddingEncoding.value(vector, base64: request.base64),
                ]))
        }
        return .object([
            "object": .string("list"), "data": .array(data), "model": .string(model),
            "usage": .object(["prompt_tokens": .int(request.estimatedTokens), "total_tokens": .int(request.estimatedTokens)]),
        ])
    }
}
