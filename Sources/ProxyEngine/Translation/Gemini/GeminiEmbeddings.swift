/// OpenAI's embeddings on a Gemini upstream: a request becomes `batchEmbedContents` calls (a
/// `requests` item per input, at most 100 a call), and their `embeddings` the OpenAI list, in
/// input order. Gemini reports no tokens for embeddings: the usage is the request's estimate.
public enum GeminiEmbeddings {
    /// `batchEmbedContents` takes at most this many requests in one call.
    public static let maximumInputs = 100

    /// The `batchEmbedContents` bodies for `request`, to `model`: one per `maximumInputs` inputs.
    public static func requests(_ request: EmbeddingsRequest, model: String) -> [JSONValue] {
        let items: [JSONValue] = request.inputs.map { text in
            var item: JSONObject = [
                "model": .string("models/" + model),
                "content": .object(["parts": .array([.object(["text": .string(text)])])]),
            ]
            if let dimensions = request.dimensions { item["outputDimensionality"] = .int(dimensions) }
            return .object(item)
        }
        return stride(from: 0, to: items.count, by: Self.maximumInputs).map { start in
            .object(["requests": .array(Array(items[start..<min(start + Self.maximumInputs, items.count)]))])
        }
    }

    /// The OpenAI embeddings list for the `batchEmbedContents` answers to `requests(_:model:)`'s
    /// calls, in their order; `model` is the name the client asked for.
    public static func response(_ answers: [JSONValue], request: EmbeddingsRequest, model: String) throws(GatewayError) -> JSONValue {
        var data: [JSONValue] = []
        data.reserveCapacity(request.inputs.count)
        for answer in answers {
            guard let embeddings = answer["embeddings"]?.arrayValue else {
                throw .upstreamFailed("The upstream's answer holds no embeddings.")
            }
            for embedding in embeddings {
                guard let values = embedding["values"]?.arrayValue else {
                    throw .upstreamFailed("The upstream's embedding \(data.count) has no values.")
                }
                let vector = values.map { Float($0.doubleValue ?? 0) }
                data.append(
                    .object([
                        "object": .string("embedding"), "index": .int(data.count),
                        "embedding": EmbeddingEncoding.value(vector, base64: request.base64),
                    ]))
            }
        }
        guard data.count == request.inputs.count else {
            throw .upstreamFailed("The upstream's answer does not hold one embedding per input.")
        }
        return .object([
            "object": .string("list"), "data": .array(data), "model": .string(model),
            "usage": .object(["prompt_tokens": .int(request.estimatedTokens), "total_tokens": .int(request.estimatedTokens)]),
        ])
    }
}
