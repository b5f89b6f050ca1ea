import ProxyEngine

/// A Gemini request's model and method, read from its path (`{model}:{method}`).
struct GeminiTarget: Sendable, Equatable {
    var model: String
    var stream: Bool

    /// The last path segment `gemini-2.5-flash:streamGenerateContent` as a target, or the
    /// method it names when it is not a completion (`countTokens`, the embeddings).
    enum Method: Equatable {
        case completion(GeminiTarget)
        case countTokens(model: String)
        case embed(model: String, GeminiEmbedRequest.Method)
    }

    static func method(_ segment: String) throws(GatewayError) -> Method {
        guard let colon = segment.lastIndex(of: ":") else {
            throw .notFound(
                "The path must end in {model}:generateContent, :streamGenerateContent, :countTokens, :embedContent or :batchEmbedContents.")
        }
        let model = String(segment[..<colon])
        guard !model.isEmpty else { throw .badRequest("The path names no model.") }
        switch segment[segment.index(after: colon)...] {
        case "generateContent": return .completion(GeminiTarget(model: model, stream: false))
        case "streamGenerateContent": return .completion(GeminiTarget(model: model, stream: true))
        case "countTokens": return .countTokens(model: model)
        case "embedContent": return .embed(model: model, .single)
        case "batchEmbedContents": return .embed(model: model, .batch)
        default:
            throw .notFound(
                "The method must be generateContent, streamGenerateContent, countTokens, embedContent or batchEmbedContents.")
        }
    }
}
