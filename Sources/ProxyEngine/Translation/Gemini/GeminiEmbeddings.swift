/// OpenAI's embeddings on a Gemini upstream: a request becomes `batchEmbedContents` calls (a
/// `requests` item per input, at most 100 a call), and their `embeddings` the OpenAI list, in
/// input order.
public enum GeminiEmbeddings {
    /// `batchEmbedContents` takes at most this many requests in one call.
    public static let maximumInputs = 100

    /// The `batchEmbedContents` bodies for `request`, to `model`: one per `maximumInputs`
    /// inputs, each with the prompt tokens its inputs are estimated at.
    public static func requests(_ request: EmbeddingsRequest, model: String) -> [(body: JSONValue, estimatedTokens: Int)] {
        stride(from: 0, to: request.inputs.count, by: Self.maximumInputs).map { start in
            let inputs = request.inputs[start..<min(start + Self.maximumInputs, request.inputs.count)]
            let items: [JSONValue] = inputs.map { text in
                var item: JSONObject = [
                    "model": .string("models/" + model),
                    "content": .object(["parts": .array([.object(["text": .string(text)])])]),
                ]
                if let dimensions = request.dimensions { item["outputDimensionality"] = .int(dimensions) }
                return .object(item)
            }
            return (.object(["requests": .array(items)]), EmbeddingsRequest.estimate(inputs))
        }
    }

    /// The OpenAI embeddings list for the `batchEmbedContents` answers to `requests(_:model:)`'s
    /// calls, in their order (each with one vector per input of its call); `model` is the name
    /// the client asked for, `promptTokens` what the request is charged.
    public static func response(
        _ answers: [JSONValue], request: EmbeddingsRequest, model: String, promptTokens: Int
    ) throws(GatewayError) -> JSONValue {
        var data: [JSONValue] = []
        data.reserveCapacity(request.inputs.count)
        for (call, answer) in answers.enumerated() {
            let expected = min(Self.maximumInputs, request.inputs.count - call * Self.maximumInputs)
            guard let embeddings = answer["embeddings"]?.arrayValue, embeddings.count == expected else {
                throw .upstreamFailed("The upstream's answer does not hold one embedding per input.")
            }
            for embedding in embeddings {
                guard let values = Self.numbers(embedding["values"]) else {
                    throw .upstreamFailed("The upstream's embedding \(data.count) is not a list of numbers.")
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
            "usage": .object(["prompt_tokens": .int(promptTokens), "total_tokens": .int(promptTokens)]),
        ])
    }

    /// A vector as an upstream wrote it: a list of numbers, or nil for anything else.
    static func numbers(_ value: JSONValue?) -> [JSONValue]? {
        guard let values = value?.arrayValue, values.allSatisfy({ $0.doubleValue != nil }) else { return nil }
        return values
    }
}
