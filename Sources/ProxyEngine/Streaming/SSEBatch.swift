import NIOCore

/// The whole events that had arrived when a stream's reader asked, framed once: the bytes as
/// received, and where each event ends. The pump passes `bytes` on as one slice; the usage
/// stripper and the translators take the events one by one without looking for their ends again.
public struct SSEBatch: Sendable {
    /// Every event of the batch, back to back, as received.
    public let bytes: ByteBuffer
    let ends: SSEEventEnds

    /// No event: the upstream has been silent (a keep-alive is due).
    public static let silence = SSEBatch(bytes: ByteBuffer(), ends: SSEEventEnds())

    public var isSilence: Bool { self.bytes.readableBytes == 0 }

    init(bytes: ByteBuffer, ends: SSEEventEnds) {
        self.bytes = bytes
        self.ends = ends
    }

    /// Frames `bytes`, which must hold whole events only (a tail without its blank line is
    /// taken as one more event).
    public init(framing bytes: ByteBuffer) {
        var framer = SSEFramer()
        try? framer.append(bytes)
        var batch = framer.nextBatch() ?? SSEBatch(bytes: ByteBuffer(), ends: SSEEventEnds())
        let unfinished = framer.unfinishedBytes
        if unfinished > 0 {
            var ends = batch.ends
            ends.append(bytes.readableBytes)
            batch = SSEBatch(bytes: bytes, ends: ends)
        }
        self = batch
    }

    public var count: Int { self.ends.count }

    /// The event at `index`, as a slice of `bytes` (no copy).
    public subscript(index: Int) -> ByteBuffer {
        let start = index == 0 ? 0 : self.ends[index - 1]
        return self.bytes.getSlice(at: self.bytes.readerIndex + start, length: self.ends[index] - start)!
    }

    /// The events in order, as slices of `bytes`.
    public var events: some Sequence<ByteBuffer> { (0..<self.count).lazy.map { self[$0] } }
}

/// Where the events of a batch end, as offsets into it: inline for the usual few dozen, so that
/// framing a chunk allocates nothing; an array past that.
struct SSEEventEnds: Sendable {
    private typealias Inline = (
        UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32,
        UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32,
        UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32,
        UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32
    )
    private static let inlineCapacity = 32
    private var inline: Inline = (
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
    )
    /// Every end, once they no longer fit inline (then `inline` is unused).
    private var spilled: [Int]?
    private(set) var count = 0

    subscript(index: Int) -> Int {
        if let spilled { return spilled[index] }
        return withUnsafeBytes(of: self.inline) { Int($0.load(fromByteOffset: index * 4, as: UInt32.self)) }
    }

    var last: Int? { self.count == 0 ? nil : self[self.count - 1] }

    mutating func append(_ end: Int) {
        self.count += 1
        self.store(end, at: self.count - 1)
    }

    /// Moves the last end (the LF of a closing CRLF arrived after its CR).
    mutating func setLast(_ end: Int) {
        self.store(end, at: self.count - 1)
    }

    private mutating func store(_ end: Int, at index: Int) {
        if self.spilled == nil, index < Self.inlineCapacity, let small = UInt32(exactly: end) {
            withUnsafeMutableBytes(of: &self.inline) { $0.storeBytes(of: small, toByteOffset: index * 4, as: UInt32.self) }
            return
        }
        if self.spilled == nil {
            self.spilled = (0..<min(index, Self.inlineCapacity)).map { self[$0] }
        }
        if index < self.spilled!.count { self.spilled![index] = end } else { self.spilled!.append(end) }
    }

    /// Drops the first end and makes the others relative to where it was (one event handed out).
    mutating func removeFirst() {
        guard self.count > 0 else { return }
        let first = self[0]
        var rest = SSEEventEnds()
        for index in 1..<self.count { rest.append(self[index] - first) }
        self = rest
    }

    mutating func removeAll() {
        self.count = 0
        self.spilled = nil
    }
}
