import NIOCore

/// Token counts an upstream reported.
public struct TokenUsage: Sendable, Equatable {
    public var promptTokens: Int
    public var completionTokens: Int

    public init(promptTokens: Int, completionTokens: Int) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
    }

    /// The last `"usage":{...}` object in `bytes` (a whole answer, or a batch of stream events):
    /// only scanned for its integers, nothing is decoded. Handles both the
    /// OpenAI (`prompt_tokens`/`completion_tokens`) and Anthropic (`input_tokens`/`output_tokens`)
    /// names.
    public static func lastReported(in bytes: ByteBuffer) -> TokenUsage? {
        let view = bytes.readableBytesView
        let key = Array(#""usage""#.utf8)
        guard view.count > key.count else { return nil }
        return bytes.withUnsafeReadableBytes { raw -> TokenUsage? in
            var searchEnd = raw.count
            while let keyStart = Self.lastIndex(of: key, in: raw, before: searchEnd) {
                searchEnd = keyStart
                var index = keyStart + key.count
                while index < raw.count, raw[index] == 0x20 || raw[index] == 0x0A || raw[index] == 0x0D || raw[index] == 0x09 { index += 1 }
                guard index < raw.count, raw[index] == UInt8(ascii: ":") else { continue }
                index += 1
                while index < raw.count, raw[index] == 0x20 || raw[index] == 0x0A || raw[index] == 0x0D || raw[index] == 0x09 { index += 1 }
                guard index < raw.count, raw[index] == UInt8(ascii: "{"), let end = Self.objectEnd(in: raw, from: index) else { continue }
                let object = UnsafeRawBufferPointer(rebasing: raw[index...end])
                let prompt = Self.integer(after: "prompt_tokens", in: object) ?? Self.integer(after: "input_tokens", in: object)
                let completion = Self.integer(after: "completion_tokens", in: object) ?? Self.integer(after: "output_tokens", in: object)
                guard prompt != nil || completion != nil else { continue }
                return TokenUsage(promptTokens: prompt ?? 0, completionTokens: completion ?? 0)
            }
            return nil
        }
    }

    /// The integer value of `"key":` inside a usage object (its keys are plain, unescaped).
    private static func integer(after key: String, in object: UnsafeRawBufferPointer) -> Int? {
        let quoted = Array("\"\(key)\"".utf8)
        guard var index = Self.firstIndex(of: quoted, in: object) else { return nil }
        index += quoted.count
        while index < object.count, object[index] == 0x20 || object[index] == 0x0A || object[index] == 0x0D || object[index] == 0x09 {
            index += 1
        }
        guard index < object.count, object[index] == UInt8(ascii: ":") else { return nil }
        index += 1
        while index < object.count, object[index] == 0x20 || object[index] == 0x0A || object[index] == 0x0D || object[index] == 0x09 {
            index += 1
        }
        var value = 0
        var digits = 0
        while index < object.count, object[index] >= UInt8(ascii: "0"), object[index] <= UInt8(ascii: "9"), digits < 18 {
            value = value * 10 + Int(object[index] - UInt8(ascii: "0"))
            digits += 1
            index += 1
        }
        return digits > 0 ? value : nil
    }

    private static func firstIndex(of needle: [UInt8], in haystack: UnsafeRawBufferPointer) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        var start = 0
        while start + needle.count <= haystack.count {
            if haystack[start] == needle[0] {
                var matches = true
                for offset in 1..<needle.count where haystack[start + offset] != needle[offset] {
                    matches = false
                    break
                }
                if matches { return start }
            }
            start += 1
        }
        return nil
    }

    private static func lastIndex(of needle: [UInt8], in haystack: UnsafeRawBufferPointer, before end: Int) -> Int? {
        var start = end - needle.count
        while start >= 0 {
            if haystack[start] == needle[0] {
                var matches = true
                for offset in 1..<needle.count where haystack[start + offset] != needle[offset] {
                    matches = false
                    break
                }
                if matches { return start }
            }
            start -= 1
        }
        return nil
    }

    /// Index of the `}` closing the object that opens at `start`, skipping strings.
    private static func objectEnd(in bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
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
