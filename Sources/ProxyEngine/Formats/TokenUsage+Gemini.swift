import NIOCore

extension TokenUsage {
    /// The last usage `bytes` report in `format`: Gemini's is `usageMetadata` (see
    /// `GeminiUsage`), the others' `usage` (`lastReported(in:)`).
    public static func lastReported(in bytes: ByteBuffer, format: APIFormat) -> TokenUsage? {
        guard format == .gemini else { return Self.lastReported(in: bytes) }
        return Self.lastObject(named: Self.usageMetadataKey, in: bytes) { object in
            let prompt = Self.integer(after: "promptTokenCount", in: object) ?? 0
            let cached = Self.integer(after: "cachedContentTokenCount", in: object) ?? 0
            let candidates = Self.integer(after: "candidatesTokenCount", in: object) ?? 0
            let thoughts = Self.integer(after: "thoughtsTokenCount", in: object) ?? 0
            return TokenUsage(
                promptTokens: prompt, completionTokens: Self.clamped(candidates) + Self.clamped(thoughts), cacheReadTokens: cached,
                reasoningTokens: thoughts)
        }
    }

    /// Looked for in every relayed Gemini event: made once, not per event.
    private static let usageMetadataKey = Array(#""usageMetadata""#.utf8)
}
