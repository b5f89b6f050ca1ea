import NIOCore

extension CompletionRequestSummary {
    /// A Gemini request: the model and the streaming come from its path
    /// (`models/{model}:streamGenerateContent`); the body must be an object with a non-empty
    /// `contents` array. Parsed once (linear in the body); the limit is
    /// `generationConfig.maxOutputTokens`.
    public init(geminiBody body: ByteBuffer, model: String, stream: Bool) throws(GatewayError) {
        guard !model.isEmpty else { throw .badRequest("The path names no model.") }
        guard case .object(let request)? = JSONValue(parsing: body) else {
            throw .badRequest("The request body is not valid JSON (an object is expected).")
        }
        guard let contents = request["contents"] else { throw .badRequest("'contents' is required.") }
        guard let items = contents.arrayValue else { throw .badRequest("'contents' has the wrong type.") }
        guard !items.isEmpty else { throw .badRequest("'contents' must contain at least one content.") }
        let config = request["generationConfig"] ?? request["generation_config"]
        if let config, config != .null, config.objectValue == nil { throw .badRequest("'generationConfig' has the wrong type.") }
        self.init(model: model, stream: stream, streamOptions: (false, stream), sessionKey: nil)
        if let limit = config?["maxOutputTokens"] ?? config?["max_output_tokens"], limit != .null {
            guard let count = limit.intValue, count >= 0 else {
                throw .badRequest("'generationConfig.maxOutputTokens' must be a non-negative integer.")
            }
            self.maxOutputTokens = count
        }
    }
}
