import NIOCore

extension OutputTokenLimit {
    /// Gemini's limit is `generationConfig.maxOutputTokens`, one level down: read and lowered
    /// through parsed values (a Gemini body reaches this only when the gateway must clamp it, or
    /// has just written it).
    static func geminiValue(in body: ByteBuffer) -> Int? {
        guard let request = JSONValue(parsing: body) else { return nil }
        let config = request["generationConfig"] ?? request["generation_config"]
        guard let value = (config?["maxOutputTokens"] ?? config?["max_output_tokens"])?.intValue, value >= 0 else { return nil }
        return value
    }

    static func geminiLowering(to tokens: Int, in body: ByteBuffer) -> ByteBuffer? {
        guard case .object(var request)? = JSONValue(parsing: body) else { return nil }
        let key = request["generation_config"] != nil && request["generationConfig"] == nil ? "generation_config" : "generationConfig"
        var config = request[key]?.objectValue ?? JSONObject()
        let current = (config["maxOutputTokens"] ?? config["max_output_tokens"])?.intValue
        if let current, current <= tokens { return nil }
        if current == nil, tokens > Self.largestInserted { return nil }
        config["max_output_tokens"] = nil
        config["maxOutputTokens"] = .int(max(0, tokens))
        request[key] = .object(config)
        return JSONValue.object(request).encoded
    }
}
