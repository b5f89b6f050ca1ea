import NIOCore

/// Replaces the top-level `"model"` string of a JSON object body, leaving every other byte as
/// received: an aliased request is not re-encoded (numbers, key order and spacing survive).
///
/// It expects a body already validated as JSON (see `CompletionRequestSummary`).
public enum JSONModelRewriter {
    /// `range` is where the value is, when the body's summary has found it already
    /// (`CompletionRequestSummary.modelRange`); else the body is searched for it.
    public static func rewritingModel(in body: ByteBuffer, to model: String, at range: Range<Int>? = nil) -> ByteBuffer? {
        guard let range = range ?? self.modelValueRange(in: body) else { return nil }
        var quoted = JSONWriter(capacity: model.utf8.count + 2)
        quoted.appendString(model)
        var result = ByteBufferAllocator().buffer(capacity: body.readableBytes + model.utf8.count)
        result.writeImmutableBuffer(body.getSlice(at: body.readerIndex, length: range.lowerBound)!)
        result.writeImmutableBuffer(quoted.buffer)
        result.writeImmutableBuffer(
            body.getSlice(at: body.readerIndex + range.upperBound, length: body.readableBytes - range.upperBound)!
        )
        return result
    }

    /// Offsets (from the reader index) of the quoted value of the top-level `model` key.
    static func modelValueRange(in body: ByteBuffer) -> Range<Int>? {
        body.withUnsafeReadableBytes { bytes -> Range<Int>? in
            let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")
            func stringEnd(from open: Int) -> Int? {
                var index = open + 1
                while index < bytes.count {
                    if bytes[index] == backslash {
                        index += 2
                        continue
                    }
                    if bytes[index] == quote { return index }
                    index += 1
                }
                return nil
            }
            func skipSpace(_ index: inout Int) {
                while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
            }
            var index = 0
            var depth = 0
            var expectKey = false
            while index < bytes.count {
                let byte = bytes[index]
                if byte == quote {
                    guard let close = stringEnd(from: index) else { return nil }
                    if depth == 1 && expectKey {
                        expectKey = false
                        if close - index - 1 == 5, Array(bytes[(index + 1)..<close]) == Array("model".utf8) {
                            var value = close + 1
                            skipSpace(&value)
                            guard value < bytes.count, bytes[value] == UInt8(ascii: ":") else { return nil }
                            value += 1
                            skipSpace(&value)
                            guard value < bytes.count, bytes[value] == quote, let valueClose = stringEnd(from: value) else {
                                return nil
                            }
                            return value..<(valueClose + 1)
                        }
                    }
                    index = close + 1
                    continue
                }
                switch byte {
                case UInt8(ascii: "{"):
                    depth += 1
                    if depth == 1 { expectKey = true }
                case UInt8(ascii: "["):
                    depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                case UInt8(ascii: ","):
                    if depth == 1 { expectKey = true }
                default:
                    break
                }
                index += 1
            }
            return nil
        }
    }
}
