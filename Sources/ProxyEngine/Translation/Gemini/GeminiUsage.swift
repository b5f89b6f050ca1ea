/// Gemini's `usageMetadata` in the hub's terms. `promptTokenCount` includes its cached part
/// (`cachedContentTokenCount`); `candidatesTokenCount` excludes the thinking
/// (`thoughtsTokenCount`), which Chat counts in `completion_tokens`.
public struct GeminiUsage: Sendable, Equatable {
    public var usage = TranslatedUsage()

    public init(_ metadata: JSONValue?) {
        let prompt = TokenUsage.clamped(metadata?["promptTokenCount"]?.intValue ?? 0)
        let cached = min(TokenUsage.clamped(metadata?["cachedContentTokenCount"]?.intValue ?? 0), prompt)
        let thoughts = TokenUsage.clamped(metadata?["thoughtsTokenCount"]?.intValue ?? 0)
        let candidates = TokenUsage.clamped(metadata?["candidatesTokenCount"]?.intValue ?? 0)
        self.usage = TranslatedUsage(inputTokens: prompt - cached, outputTokens: candidates + thoughts, cacheReadTokens: cached)
        self.usage.reasoningTokens = thoughts
    }

    public init(_ usage: TranslatedUsage) { self.usage = usage }

    /// Chat's `usage`, with the reasoning part named.
    public var openAIObject: JSONValue {
        guard case .object(var object) = self.usage.openAIObject else { return self.usage.openAIObject }
        if self.usage.reasoningTokens > 0 {
            object["completion_tokens_details"] = .object(["reasoning_tokens": .int(self.usage.reasoningTokens)])
        }
        return .object(object)
    }

    /// Gemini's `usageMetadata`.
    public var geminiObject: JSONValue {
        let thoughts = min(self.usage.reasoningTokens, self.usage.outputTokens)
        var object: JSONObject = [
            "promptTokenCount": .int(self.usage.promptTokens),
            "candidatesTokenCount": .int(self.usage.outputTokens - thoughts),
            "totalTokenCount": .int(self.usage.promptTokens + self.usage.outputTokens),
        ]
        if self.usage.cacheReadTokens > 0 { object["cachedContentTokenCount"] = .int(self.usage.cacheReadTokens) }
        if thoughts > 0 { object["thoughtsTokenCount"] = .int(thoughts) }
        return .object(object)
    }
}
