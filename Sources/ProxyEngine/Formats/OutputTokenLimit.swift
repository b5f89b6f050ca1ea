import NIOCore

/// The field that bounds an answer's length in each format, read from and lowered in a request
/// body as bytes: every other byte goes upstream as received (no re-encoding).
///
/// Chat Completions has two names: `max_completion_tokens`, which OpenAI's reasoning models
/// require, and the older `max_tokens`, which every compatible server knows. Messages has
/// `max_tokens`; Responses `max_output_tokens`.
public enum OutputTokenLimit {
    public static func names(in format: APIFormat) -> [String] {
        switch format {
        case .openAI: ["max_completion_tokens", "max_tokens"]
        case .anthropic: ["max_tokens"]
        case .responses: ["max_output_tokens"]
        // Nested in `generationConfig`: see `OutputTokenLimit+Gemini`.
        case .gemini: ["maxOutputTokens"]
        }
    }

    /// The largest limit a body that names none is given: every current model takes an output
    /// limit this low (a higher one may be past a model's own and refused), and above it the
    /// stream's meter stands guard (see `OutputMeter`).
    public static let largestInserted = 4_096

    /// The limit `body` names (the smallest, when it names two); nil when it names none.
    public static func value(in body: ByteBuffer, format: APIFormat) -> Int? {
        if format == .gemini { return Self.geminiValue(in: body) }
        return Self.fields(in: body, format: format)?.compactMap(\.value).min()
    }

    /// `body` with every limit above `tokens` lowered to it, or with `tokens` added when it names
    /// none and `tokens` is at most `largestInserted`; nil when nothing changes. `model` chooses
    /// the Chat Completions name to add: `max_completion_tokens` for OpenAI's reasoning models.
    public static func lowering(to tokens: Int, in body: ByteBuffer, format: APIFormat, model: String) -> ByteBuffer? {
        if format == .gemini { return Self.geminiLowering(to: tokens, in: body) }
        guard let fields = Self.fields(in: body, format: format) else { return nil }
        let number = String(max(0, tokens))
        var result = ByteBufferAllocator().buffer(capacity: body.readableBytes + 32)
        if fields.isEmpty {
            guard tokens <= Self.largestInserted else { return nil }
            // After the opening brace: `{"max_tokens":N,` (or `{"max_tokens":N}` for `{}`).
            guard let open = body.readableBytesView.firstIndex(of: UInt8(ascii: "{")) else { return nil }
            let afterOpen = open - body.readerIndex + 1
            result.writeImmutableBuffer(body.getSlice(at: body.readerIndex, length: afterOpen)!)
            let rest = body.getSlice(at: body.readerIndex + afterOpen, length: body.readableBytes - afterOpen)!
            let isEmptyObject = rest.readableBytesView.first { ![0x20, 0x09, 0x0A, 0x0D].contains($0) } == UInt8(ascii: "}")
            result.writeString("\"\(Self.insertedName(format: format, model: model))\":\(number)" + (isEmptyObject ? "" : ","))
            result.writeImmutableBuffer(rest)
            return result
        }
        let lowered = fields.filter { ($0.value ?? .max) > tokens }.map(\.range).sorted { $0.lowerBound < $1.lowerBound }
        guard !lowered.isEmpty else { return nil }
        var copied = 0
        for range in lowered {
            result.writeImmutableBuffer(body.getSlice(at: body.readerIndex + copied, length: range.lowerBound - copied)!)
            result.writeString(number)
            copied = range.upperBound
        }
        result.writeImmutableBuffer(body.getSlice(at: body.readerIndex + copied, length: body.readableBytes - copied)!)
        return result
    }

    /// OpenAI's reasoning models refuse `max_tokens`; every other Chat Completions server knows it.
    static func insertedName(format: APIFormat, model: String) -> String {
        guard format == .openAI else { return Self.names(in: format).last! }
        let reasoning = ["o1", "o3", "o4", "gpt-5"].contains { model == $0 || model.hasPrefix($0 + "-") || model.hasPrefix($0 + ".") }
        return reasoning ? "max_completion_tokens" : "max_tokens"
    }

    /// The top-level limit fields of `body`: where each value is, and its count (nil when it is
    /// not a non-negative integer); nil when `body` is not a JSON object.
    private static func fields(in body: ByteBuffer, format: APIFormat) -> [(range: Range<Int>, value: Int?)]? {
        let names = Self.names(in: format)
        return body.withUnsafeReadableBytes { bytes in
            var fields: [(Range<Int>, Int?)] = []
            do {
                try JSONScanner.members(ofObject: bytes) { key, value in
                    guard value.kind != .null, names.contains(where: { key.elementsEqual($0.utf8) }) else { return }
                    fields.append((value.range, JSONScanner.count(value, in: bytes)))
                }
            } catch {
                return nil
            }
            return fields
        }
    }
}
