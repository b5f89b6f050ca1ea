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
    private var completeEnd = 0
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

    /// All complete events received so far, as one slice, or nil when there is none yet.
    /// Writing them as one buffer saves a write per event when a chunk carries several.
    public mutating func nextEvents() -> ByteBuffer? {
        guard self.completeEnd > 0 else { return nil }
        let events = self.pending.readSlice(length: self.completeEnd)
        self.scanned -= self.completeEnd
        self.completeEnd = 0
        if self.pending.readableBytes == 0 {
            self.pending = ByteBuffer()
        }
        return events
    }

    /// The next complete event alone, or nil when there is none yet.
    public mutating func nextEvent() -> ByteBuffer? {
        guard self.completeEnd > 0 else { return nil }
        let complete = self.pending.getSlice(at: self.pending.readerIndex, length: self.completeEnd)!
        let length = SSEFramer.firstEventLength(in: complete)
        let event = self.pending.readSlice(length: length)
        self.scanned -= length
        self.completeEnd -= length
        return event
    }

    /// Bytes of an event the stream ended in the middle of: no blank line closed it.
    public var unfinishedBytes: Int { self.pending.readableBytes - self.completeEnd }

    /// Length of the first event in a buffer of whole events.
    static func firstEventLength(in events: ByteBuffer) -> Int {
        var framer = SSEFramer()
        framer.pending = events
        framer.scan(stopAtFirst: true)
        return framer.completeEnd == 0 ? events.readableBytes : framer.completeEnd
    }

    private mutating func scan(stopAtFirst: Bool = false) {
        let start = self.scanned
        var atLineStart = self.atLineStart
        var lastWasCR = self.lastWasCR
        var completeEnd = self.completeEnd
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
                        if completeEnd == index - 1 { completeEnd = index }
                        continue
                    }
                    if atLineStart {
                        completeEnd = index
                        if stopAtFirst { break }
                    }
                    atLineStart = true
                } else if byte == UInt8(ascii: "\r") {
                    lastWasCR = true
                    if atLineStart {
                        completeEnd = index
                        if stopAtFirst {
                            // Take the LF of a closing CRLF with the event when it is there.
                            if index < total && bytes[index] == UInt8(ascii: "\n") { completeEnd = index + 1 }
                            break
                        }
                    }
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
        self.completeEnd = completeEnd
    }
}
