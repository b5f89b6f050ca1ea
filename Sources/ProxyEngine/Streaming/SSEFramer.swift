import NIOCore

/// Cuts a byte stream into whole Server-Sent Events, whatever the chunk boundaries.
///
/// An event ends at a blank line; lines end in CRLF, LF or CR (the WHATWG rule). The framer
/// never decodes or copies an event it hands out: each is a slice of the bytes received, so a
/// pass-through stream is forwarded byte for byte. Only the tail of an unfinished event is kept,
/// and that tail is bounded by `maximumEventBytes`.
public struct SSEFramer: Sendable {
    public struct EventTooLarge: Error, Sendable {
        public let limit: Int
    }

    private var pending: ByteBuffer
    /// Offset, from `pending.readerIndex`, of the first byte not yet scanned.
    private var scanned = 0
    /// Offset just past the last complete event found but not yet handed out.
    private var completeEnd: Int { self.ends.last ?? 0 }
    /// Where each complete event not yet handed out ends (offsets from `pending.readerIndex`):
    /// found once, by `scan`, and handed out with the events.
    private var ends = SSEEventEnds()
    private var atLineStart = true
    private var lastWasCR = false
    public let maximumEventBytes: Int

    public init(maximumEventBytes: Int = 16 * 1024 * 1024) {
        self.pending = ByteBuffer()
        self.maximumEventBytes = maximumEventBytes
    }

    /// Adds received bytes. Cheap when nothing is pending: the chunk is kept, not copied.
    public mutating func append(_ chunk: ByteBuffer) throws(EventTooLarge) {
        if self.pending.readableBytes == 0 {
            self.pending = chunk
        } else {
            var chunk = chunk
            self.pending.writeBuffer(&chunk)
        }
        self.scan()
        if self.pending.readableBytes - self.completeEnd > self.maximumEventBytes {
            throw EventTooLarge(limit: self.maximumEventBytes)
        }
    }

    /// All complete events received so far, with where each ends, or nil when there is none
    /// yet. Writing them as one buffer saves a write per event when a chunk carries several.
    public mutating func nextBatch() -> SSEBatch? {
        let completeEnd = self.completeEnd
        guard completeEnd > 0 else { return nil }
        let events = self.pending.readSlice(length: completeEnd)!
        let batch = SSEBatch(bytes: events, ends: self.ends)
        self.scanned -= completeEnd
        self.ends.removeAll()
        if self.pending.readableBytes == 0 {
            self.pending = ByteBuffer()
        }
        return batch
    }

    /// All complete events received so far, as one slice, or nil when there is none yet.
    public mutating func nextEvents() -> ByteBuffer? {
        self.nextBatch()?.bytes
    }

    /// The next complete event alone, or nil when there is none yet.
    public mutating func nextEvent() -> ByteBuffer? {
        guard self.ends.count > 0 else { return nil }
        let length = self.ends[0]
        let event = self.pending.readSlice(length: length)
        self.scanned -= length
        self.ends.removeFirst()
        return event
    }

    /// Bytes of an event the stream ended in the middle of: no blank line closed it.
    public var unfinishedBytes: Int { self.pending.readableBytes - self.completeEnd }

    private mutating func scan() {
        let start = self.scanned
        var atLineStart = self.atLineStart
        var lastWasCR = self.lastWasCR
        var ends = self.ends
        self.ends = SSEEventEnds()
        let total = self.pending.readableBytes
        self.pending.withUnsafeReadableBytes { bytes in
            var index = start
            while index < total {
                let byte = bytes[index]
                index += 1
                if byte == UInt8(ascii: "\n") {
                    if lastWasCR {
                        // The LF of a CRLF: the line already ended at the CR.
                        lastWasCR = false
                        // (An event handed out at its CR leaves this LF as one of its own.)
                        if (ends.last ?? 0) == index - 1 {
                            if ends.count == 0 { ends.append(index) } else { ends.setLast(index) }
                        }
                        continue
                    }
                    if atLineStart { ends.append(index) }
                    atLineStart = true
                } else if byte == UInt8(ascii: "\r") {
                    lastWasCR = true
                    if atLineStart { ends.append(index) }
                    atLineStart = true
                } else {
                    lastWasCR = false
                    atLineStart = false
                }
            }
            self.scanned = index
        }
        self.atLineStart = atLineStart
        self.lastWasCR = lastWasCR
        self.ends = ends
    }
}
