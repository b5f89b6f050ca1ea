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

    /// Appends `value` as a quoted, escaped JSON string.
    public mutating func appendString(_ value: String) {
        self.buffer.writeInteger(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): self.buffer.writeStaticString("\\\"")
            case UInt8(ascii: "\\"): self.buffer.writeStaticString("\\\\")
            case UInt8(ascii: "\n"): self.buffer.writeStaticString("\\n")
            case UInt8(ascii: "\r"): self.buffer.writeStaticString("\\r")
            case UInt8(ascii: "\t"): self.buffer.writeStaticString("\\t")
            case 0..<0x20:
                self.buffer.writeStaticString("\\u00")
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                self.buffer.writeInteger(hex[Int(byte >> 4)])
                self.buffer.writeInteger(hex[Int(byte & 0xF)])
            default: self.buffer.writeInteger(byte)
            }
        }
        self.buffer.writeInteger(UInt8(ascii: "\""))
    }

    public mutating func appendInt(_ value: Int) {
        self.buffer.writeString(String(value))
    }
}
