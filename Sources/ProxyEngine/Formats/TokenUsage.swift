import NIOCore

/// Token counts an upstream reported, in one definition whatever the format: `promptTokens` is
/// every prompt token, those read from and written to a cache included (OpenAI's
/// `prompt_tokens`; Anthropic's `input_tokens` plus its two cache counts), and
/// `completionTokens` every output token, reasoning included. The parts are told apart, for
/// records and prices.
public struct TokenUsage: Sendable, Equatable {
    public var promptTokens: Int
    public var completionTokens: Int
    /// Prompt tokens read from the provider's cache.
    public var cacheReadTokens: Int
    /// Prompt tokens written to the provider's cache (Anthropic's `cache_creation_input_tokens`).
    public var cacheWriteTokens: Int
    /// Completion tokens spent reasoning.
    public var reasoningTokens: Int

    /// An upstream's count is clamped here: no request uses a trillion tokens, and sums of
    /// clamped counts (a month of them, prompt plus completion) cannot overflow.
    public static let maximumCount = 1 << 40

    public init(promptTokens: Int, completionTokens: Int, cacheReadTokens: Int = 0, cacheWriteTokens: Int = 0, reasoningTokens: Int = 0) {
        self.promptTokens = Self.clamped(promptTokens)
        self.completionTokens = Self.clamped(completionTokens)
        // Parts of the whole: never more than it.
        self.cacheReadTokens = min(Self.clamped(cacheReadTokens), self.promptTokens)
        self.cacheWriteTokens = min(Self.clamped(cacheWriteTokens), self.promptTokens - self.cacheReadTokens)
        self.reasoningTokens = min(Self.clamped(reasoningTokens), self.completionTokens)
    }

    public static func clamped(_ count: Int) -> Int { min(max(0, count), Self.maximumCount) }

    /// Prompt plus completion.
    public var total: Int { self.promptTokens + self.completionTokens }

    /// These counts over `earlier` ones of the same stream: an Anthropic stream reports input
    /// tokens in `message_start` and output tokens in `message_delta`, where input may be absent.
    public func merged(into earlier: TokenUsage?) -> TokenUsage {
        let prompt = self.promptTokens > 0 ? self : earlier
        return TokenUsage(
            promptTokens: prompt?.promptTokens ?? 0,
            completionTokens: self.completionTokens > 0 ? self.completionTokens : earlier?.completionTokens ?? 0,
            cacheReadTokens: prompt?.cacheReadTokens ?? 0, cacheWriteTokens: prompt?.cacheWriteTokens ?? 0,
            reasoningTokens: self.completionTokens > 0 ? self.reasoningTokens : earlier?.reasoningTokens ?? 0
        )
    }

    /// The last `"usage":{...}` object in `bytes` (a whole answer, or a batch of stream events):
    /// only scanned for its integers, nothing is decoded. Handles the Chat Completions
    /// (`prompt_tokens`, `cached_tokens`, `reasoning_tokens`), Responses (`input_tokens` with its
    /// cached part inside) and Anthropic (`input_tokens` without its cache's
    /// `cache_read_input_tokens` and `cache_creation_input_tokens`) names.
    public static func lastReported(in bytes: ByteBuffer) -> TokenUsage? {
        Self.lastObject(named: Self.usageKey, in: bytes) { object in
            let cacheRead = Self.integer(after: "cache_read_input_tokens", in: object)
            let cacheWrite = Self.integer(after: "cache_creation_input_tokens", in: object)
            // Anthropic's input excludes its cache's tokens; the other formats' include them.
            let prompt =
                Self.integer(after: "prompt_tokens", in: object)
                ?? Self.integer(after: "input_tokens", in: object).map { $0 + (cacheRead ?? 0) + (cacheWrite ?? 0) }
            let completion = Self.integer(after: "completion_tokens", in: object) ?? Self.integer(after: "output_tokens", in: object)
            guard prompt != nil || completion != nil else { return nil }
            return TokenUsage(
                promptTokens: prompt ?? 0, completionTokens: completion ?? 0,
                cacheReadTokens: cacheRead ?? Self.integer(after: "cached_tokens", in: object) ?? 0, cacheWriteTokens: cacheWrite ?? 0,
                reasoningTokens: Self.integer(after: "reasoning_tokens", in: object) ?? 0)
        }
    }

    /// The usage `read` makes of the last `"key":{...}` object in `bytes` it makes one of.
    static func lastObject(
        named key: [UInt8], in bytes: ByteBuffer, _ read: (UnsafeRawBufferPointer) -> TokenUsage?
    ) -> TokenUsage? {
        bytes.withUnsafeReadableBytes { raw -> TokenUsage? in
            var searchEnd = raw.endIndex
            while let keyStart = ByteSearch.lastIndex(of: key, in: raw, endingBefore: searchEnd) {
                searchEnd = keyStart
                var index = ByteSearch.skippingWhitespace(raw, from: keyStart + key.count)
                guard index < raw.count, raw[index] == UInt8(ascii: ":") else { continue }
                index = ByteSearch.skippingWhitespace(raw, from: index + 1)
                guard index < raw.count, raw[index] == UInt8(ascii: "{"), let end = Self.objectEnd(in: raw, from: index) else { continue }
                if let usage = read(UnsafeRawBufferPointer(rebasing: raw[index...end])) { return usage }
            }
            return nil
        }
    }

    /// `"usage"`, looked for in every relayed event: made once, not per event.
    private static let usageKey = Array(#""usage""#.utf8)

    /// The integer value of `"key":` inside a usage object (its keys are plain, unescaped).
    static func integer(after key: String, in object: UnsafeRawBufferPointer) -> Int? {
        guard let found = ByteSearch.firstRange(of: Array("\"\(key)\"".utf8), in: object) else { return nil }
        var index = ByteSearch.skippingWhitespace(object, from: found.upperBound)
        guard index < object.count, object[index] == UInt8(ascii: ":") else { return nil }
        index = ByteSearch.skippingWhitespace(object, from: index + 1)
        var value = 0
        var digits = 0
        while index < object.count, object[index] >= UInt8(ascii: "0"), object[index] <= UInt8(ascii: "9"), digits < 18 {
            value = value * 10 + Int(object[index] - UInt8(ascii: "0"))
            digits += 1
            index += 1
        }
        return digits > 0 ? value : nil
    }

    /// Index of the `}` closing the object that opens at `start`, skipping strings.
    static func objectEnd(in bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        var depth = 0
        var index = start
        var inString = false
        while index < bytes.count {
            let byte = bytes[index]
            if inString {
                if byte == UInt8(ascii: "\\") {
                    index += 1
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
            } else if byte == UInt8(ascii: "\"") {
                inString = true
            } else if byte == UInt8(ascii: "{") {
                depth += 1
            } else if byte == UInt8(ascii: "}") {
                depth -= 1
                if depth == 0 { return index }
            }
            index += 1
        }
        return nil
    }
}
