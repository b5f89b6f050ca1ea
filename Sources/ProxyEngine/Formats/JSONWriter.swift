import NIOCore

/// Builds small JSON documents straight into a `ByteBuffer`, for the gateway's own bodies
/// (errors, stream events) where going through `JSONEncoder` would cost more than the write.
public struct JSONWriter: Sendable {
    public private(set) var buffer: ByteBuffer

    public init(capacity: Int = 256) {
        self.buffer = ByteBufferAllocator().buffer(capacity: capacity)
    }

    /// Appends raw JSON text, as is.
    public mutating func append(_ raw: String) {
        self.buffer.writeString(raw)
    }

    /// Appends `value` as a quoted, escaped JSON string: each plain run copied at once and each
    /// escape written in place, a slice of the text at a time, so a translated conversation is
    /// written at memory speed rather than a byte (and a buffer call) at a time.
    public mutating func appendString(_ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            let text = UnsafeRawBufferPointer(utf8)
            self.buffer.writeInteger(UInt8(ascii: "\""))
            var start = 0
            while start < text.count {
                let slice = min(text.count - start, Self.sliceBytes)
                // An escape is at most six bytes (`\u001f`) for one.
                self.buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: slice * 6) { output in
                    Self.escape(UnsafeRawBufferPointer(rebasing: text[start..<(start + slice)]), into: output)
                }
                start += slice
            }
            self.buffer.writeInteger(UInt8(ascii: "\""))
        }
    }

    /// How much text is escaped per reservation: a 1 MB string never reserves six.
    private static let sliceBytes = 4096

    /// Writes `text` escaped into `output` (six times its size); returns the bytes written.
    private static func escape(_ text: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Int {
        let hex: StaticString = "0123456789abcdef"
        var written = 0
        var start = 0
        while start < text.count {
            let end = JSONPlainText.end(in: text, from: start)
            if end > start {
                output.baseAddress!.advanced(by: written).copyMemory(from: text.baseAddress!.advanced(by: start), byteCount: end - start)
                written += end - start
            }
            guard end < text.count else { break }
            let byte = text[end]
            output[written] = UInt8(ascii: "\\")
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                output[written + 1] = byte
                written += 2
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"):
                output[written + 1] =
                    byte == UInt8(ascii: "\n") ? UInt8(ascii: "n") : byte == UInt8(ascii: "\r") ? UInt8(ascii: "r") : UInt8(ascii: "t")
                written += 2
            default:
                output[written + 1] = UInt8(ascii: "u")
                output[written + 2] = UInt8(ascii: "0")
                output[written + 3] = UInt8(ascii: "0")
                output[written + 4] = hex.utf8Start[Int(byte >> 4)]
                output[written + 5] = hex.utf8Start[Int(byte & 0xF)]
                written += 6
            }
            start = end + 1
        }
        return written
    }

    public mutating func appendInt(_ value: Int) {
        self.buffer.writeString(String(value))
    }
}
