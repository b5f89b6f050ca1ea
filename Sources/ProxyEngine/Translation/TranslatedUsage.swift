/// Token counts as each format reports them. OpenAI's `prompt_tokens` includes cached tokens
/// (`prompt_tokens_details.cached_tokens`); Anthropic's `input_tokens` excludes the tokens read
/// from or written to its cache, which it counts apart.
public struct TranslatedUsage: Sendable, Equatable {
    public var inputTokens = 0
    public var outputTokens = 0
    public var cacheReadTokens = 0
    public var cacheCreationTokens = 0
    /// Output tokens spent reasoning (OpenAI's `completion_tokens_details.reasoning_tokens`).
    public var reasoningTokens = 0

    /// Each count is clamped (see `TokenUsage.maximumCount`), so their sums cannot overflow.
    public init(inputTokens: Int = 0, outputTokens: Int = 0, cacheReadTokens: Int = 0, cacheCreationTokens: Int = 0) {
        self.inputTokens = TokenUsage.clamped(inputTokens)
        self.outputTokens = TokenUsage.clamped(outputTokens)
        self.cacheReadTokens = TokenUsage.clamped(cacheReadTokens)
        self.cacheCreationTokens = TokenUsage.clamped(cacheCreationTokens)
    }

    /// From an OpenAI `usage` object.
    public init(openAI usage: JSONValue?) {
        let cached = TokenUsage.clamped(usage?["prompt_tokens_details"]?["cached_tokens"]?.intValue ?? 0)
        self.init(
            inputTokens: TokenUsage.clamped(usage?["prompt_tokens"]?.intValue ?? 0) - cached,
            outputTokens: usage?["completion_tokens"]?.intValue ?? 0,
            cacheReadTokens: cached
        )
        self.reasoningTokens = TokenUsage.clamped(usage?["completion_tokens_details"]?["reasoning_tokens"]?.intValue ?? 0)
    }

    /// From an Anthropic `usage` object.
    public init(anthropic usage: JSONValue?) {
        self.init(
            inputTokens: usage?["input_tokens"]?.intValue ?? 0,
            outputTokens: usage?["output_tokens"]?.intValue ?? 0,
            cacheReadTokens: usage?["cache_read_input_tokens"]?.intValue ?? 0,
            cacheCreationTokens: usage?["cache_creation_input_tokens"]?.intValue ?? 0
        )
    }

    /// Every prompt token, cached or not: what OpenAI calls `prompt_tokens`.
    public var promptTokens: Int { self.inputTokens + self.cacheReadTokens + self.cacheCreationTokens }

    public var tokenUsage: TokenUsage {
        TokenUsage(
            promptTokens: self.promptTokens, completionTokens: self.outputTokens, cacheReadTokens: self.cacheReadTokens,
            cacheWriteTokens: self.cacheCreationTokens, reasoningTokens: self.reasoningTokens)
    }

    public var openAIObject: JSONValue {
        var usage: JSONObject = [
            "prompt_tokens": .int(self.promptTokens), "completion_tokens": .int(self.outputTokens),
            "total_tokens": .int(self.promptTokens + self.outputTokens),
        ]
        if self.cacheReadTokens > 0 { usage["prompt_tokens_details"] = .object(["cached_tokens": .int(self.cacheReadTokens)]) }
        return .object(usage)
    }

    public var anthropicObject: JSONValue {
        var usage: JSONObject = ["input_tokens": .int(self.inputTokens), "output_tokens": .int(self.outputTokens)]
        usage["cache_creation_input_tokens"] = .int(self.cacheCreationTokens)
        usage["cache_read_input_tokens"] = .int(self.cacheReadTokens)
        return .object(usage)
    }
}
