import NIOCore

/// Counts a stream's output tokens as its events pass, in the client's format, for a request
/// whose output its quota or budget bounds: an upstream that ignores its `max_tokens` is cut
/// (see `StreamRelay`) once the count passes the allowance by more than the counting's error.
///
/// A token is four bytes of a delta's text (what OpenAI and Anthropic give for English), and
/// every non-empty delta at least one: OpenAI streams about one token per event. Only the
/// fields that carry generated text are read: Chat Completions' `content`,
/// `reasoning_content`, `refusal` and tool `arguments`; Anthropic's `text`, `thinking` and
/// `partial_json`; the Responses events' `delta`.
public struct OutputMeter: Sendable {
    /// The output tokens the request may produce.
    public let allowance: Int
    public private(set) var tokens = 0
    private let keys: [[UInt8]]

    public init(allowance: Int, format: APIFormat) {
        self.allowance = allowance
        let names: [String] =
            switch format {
            case .openAI: ["content", "reasoning_content", "refusal", "arguments"]
            case .anthropic: ["text", "thinking", "partial_json"]
            case .responses: ["delta"]
            case .gemini: ["text"]
            }
        self.keys = names.map { Array($0.utf8) }
    }

    /// How far past the allowance the count may go before the stream is cut: the count is an
    /// estimate, and an upstream that keeps to its limit must never be cut.
    public var cutAt: Int { self.allowance + max(16, self.allowance / 2) }

    /// Whether the count is past `cutAt` once `bytes` (whole events) are counted. One pass over
    /// the bytes: each string is skipped whole, and a key that names generated text has its value
    /// measured.
    public mutating func count(_ bytes: ByteBuffer) -> Bool {
        let added = bytes.withUnsafeReadableBytes { raw in
            var total = 0
            var index = 0
            while index < raw.count {
                guard raw[index] == UInt8(ascii: "\"") else {
                    index += 1
                    continue
                }
                let start = index + 1
                let end = Self.stringEnd(raw, from: start)
                index = end + 1
                let after = ByteSearch.skippingWhitespace(raw, from: min(index, raw.count))
                guard after < raw.count, raw[after] == UInt8(ascii: ":"),
                    self.keys.contains(where: { Self.equals(raw, start..<end, $0) })
                else { continue }
                let value = ByteSearch.skippingWhitespace(raw, from: after + 1)
                guard value < raw.count, raw[value] == UInt8(ascii: "\"") else { continue }
                let valueEnd = Self.stringEnd(raw, from: value + 1)
                let length = valueEnd - value - 1
                if length > 0 { total += max(1, length / 4) }
                index = valueEnd + 1
            }
            return total
        }
        self.tokens += added
        return self.tokens > self.cutAt
    }

    /// The index of the quote that closes the string whose first byte is at `start` (or the end).
    private static func stringEnd(_ raw: UnsafeRawBufferPointer, from start: Int) -> Int {
        var index = start
        while index < raw.count, raw[index] != UInt8(ascii: "\"") {
            index += raw[index] == UInt8(ascii: "\\") ? 2 : 1
        }
        return min(index, raw.count)
    }

    private static func equals(_ raw: UnsafeRawBufferPointer, _ range: Range<Int>, _ key: [UInt8]) -> Bool {
        guard range.count == key.count else { return false }
        var offset = 0
        for index in range {
            if raw[index] != key[offset] { return false }
            offset += 1
        }
        return true
    }
}
