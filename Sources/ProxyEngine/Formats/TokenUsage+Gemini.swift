import NIOCore

extension TokenUsage {
    /// The last usage `bytes` report in `format`: Gemini's is `usageMetadata` (see
    /// `GeminiUsage`), the others' `usage` (`lastReported(in:)`).
    public static func lastReported(in bytes: ByteBuffer, format: APIFormat) -> TokenUsage? {
        guard format == .gemini else { return Self.lastReported(in: bytes) }
        let key = Array(#""usageMetadata""#.utf8)
        return bytes.withUnsafeReadableBytes { raw -> TokenUsage? in
            var searchEnd = raw.endIndex
            while let keyStart = ByteSearch.lastIndex(of: key, in: raw, endingBefore: searchEnd) {
                searchEnd = keyStart
                var index = ByteSearch.skippingWhitespace(raw, from: keyStart + key.count)
                guard index < raw.count, raw[index] == UInt8(ascii: ":") else { continue }
                index = ByteSearch.skippingWhitespace(raw, from: index + 1)
                guard index < raw.count, raw[index] == UInt8(ascii: "{"), let end = Self.objectEnd(in: raw, from: index) else { continue }
                let object = UnsafeRawBufferPointer(rebasing: raw[index...end])
                let prompt = Self.integer(after: "promptTokenCount", in: object) ?? 0
                let cached = Self.integer(after: "cachedContentTokenCount", in: object) ?? 0
                let candidates = Self.integer(after: "candidatesTokenCount", in: object) ?? 0
                let thoughts = Self.integer(after: "thoughtsTokenCount", in: object) ?? 0
                return TokenUsage(
                    promptTokens: prompt, completionTokens: Self.clamped(candidates) + Self.clamped(thoughts), cacheReadTokens: cached,
                    reasoningTokens: thoughts)
            }
            return nil
        }
    }
}
