import NIOCore

/// Undoes, in an OpenAI stream, what the gateway's own `stream_options.include_usage` added:
/// the `"usage":null` field of every chunk and the final usage-only chunk (`"choices":[]`),
/// whose counts it keeps. What the client receives is then byte for byte what it would have
/// received had the gateway not asked.
public struct InjectedUsageStripper: Sendable {
    public private(set) var usage: TokenUsage?
    private static let nullFieldAfter = Array(#","usage":null"#.utf8)
    private static let nullFieldBefore = Array(#""usage":null,"#.utf8)
    private static let emptyChoices = Array(#""choices":[]"#.utf8)

    public init() {}

    /// The batch of whole events as the client should see it: each event is scanned in place
    /// and copied once, less the bytes the gateway's request added.
    public mutating func strip(_ batch: ByteBuffer) -> ByteBuffer {
        self.strip(SSEBatch(framing: batch))
    }

    /// The same for a batch `SSEEventBatches` framed already.
    public mutating func strip(_ batch: SSEBatch) -> ByteBuffer {
        var output = ByteBufferAllocator().buffer(capacity: batch.bytes.readableBytes)
        for event in batch.events {
            let isUsageChunk = event.withUnsafeReadableBytes { ByteSearch.firstRange(of: Self.emptyChoices, in: $0) != nil }
            if isUsageChunk, let usage = TokenUsage.lastReported(in: event) {
                self.usage = usage
                continue
            }
            event.withUnsafeReadableBytes { bytes in
                guard
                    let cut = ByteSearch.firstRange(of: Self.nullFieldBefore, in: bytes)
                        ?? ByteSearch.firstRange(of: Self.nullFieldAfter, in: bytes)
                else {
                    output.writeBytes(bytes)
                    return
                }
                output.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[..<cut.lowerBound]))
                output.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[cut.upperBound...]))
            }
        }
        return output
    }
}

extension JSONModelRewriter {
    /// The body with `"stream_options":{"include_usage":true}` added as its first key: the
    /// rest of the body stays as received.
    public static func addingIncludeUsage(to body: ByteBuffer) -> ByteBuffer? {
        let view = body.readableBytesView
        guard let open = view.firstIndex(of: UInt8(ascii: "{")) else { return nil }
        let offset = open - view.startIndex + 1
        var result = ByteBufferAllocator().buffer(capacity: body.readableBytes + 48)
        result.writeImmutableBuffer(body.getSlice(at: body.readerIndex, length: offset)!)
        result.writeString(#""stream_options":{"include_usage":true},"#)
        result.writeImmutableBuffer(body.getSlice(at: body.readerIndex + offset, length: body.readableBytes - offset)!)
        return result
    }
}
