import NIOCore

/// The body parts of one read burst (every part the decoder made of the reads between two
/// `channelReadComplete`s), handed to the body's consumer as one buffer.
///
/// An event stream's upstream writes an event a chunk, and a burst of reads can hold many: one
/// buffer for all of them costs the consumer one task resumption, one relay step and one client
/// write, where a part each cost one of each per event. One part passes as it came (a slice of
/// the read, no copy); several are copied once into a buffer of their total size.
struct BodyBurst {
    /// Past this a burst is handed over at once: what the reader holds stays what one read of
    /// NIO's largest receive buffer brings, as when every part went alone.
    static let handOverBytes = 64 * 1024

    private var parts: [ByteBuffer] = []
    private(set) var bytes = 0

    var isEmpty: Bool { self.parts.isEmpty }

    mutating func append(_ part: ByteBuffer) {
        self.parts.append(part)
        self.bytes += part.readableBytes
    }

    /// The burst as one buffer, and the burst emptied; nil when it held nothing.
    mutating func take(allocator: ByteBufferAllocator) -> ByteBuffer? {
        defer {
            // Kept for the next burst: a stream's bursts are alike, and the array is then
            // allocated once per connection, not once per burst.
            self.parts.removeAll(keepingCapacity: true)
            self.bytes = 0
        }
        switch self.parts.count {
        case 0: return nil
        case 1: return self.parts[0]
        default:
            var merged = allocator.buffer(capacity: self.bytes)
            for part in self.parts { merged.writeImmutableBuffer(part) }
            return merged
        }
    }
}
