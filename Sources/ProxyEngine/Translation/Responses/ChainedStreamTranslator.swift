import NIOCore

/// Two translators in a row, through the hub format: an Anthropic stream becomes Chat chunks,
/// which become Responses events. The first's output is framed again for the second.
public struct ChainedStreamTranslator<First: StreamTranslator, Second: StreamTranslator>: StreamTranslator {
    private var first: First
    private var second: Second

    public init(_ first: First, then second: Second) {
        self.first = first
        self.second = second
    }

    public var isComplete: Bool { self.second.isComplete }
    public var callerFormat: APIFormat { self.second.callerFormat }
    public var usage: TokenUsage? { self.second.usage ?? self.first.usage }

    public mutating func translate(_ event: SSEEvent, into output: inout ByteBuffer) throws(StreamViolation) {
        var middle = ByteBuffer()
        try self.first.translate(event, into: &middle)
        try self.pass(middle, into: &output)
    }

    public mutating func finish(into output: inout ByteBuffer) throws(StreamViolation) {
        var middle = ByteBuffer()
        if !self.first.isComplete { try self.first.finish(into: &middle) }
        try self.pass(middle, into: &output)
        if !self.second.isComplete { try self.second.finish(into: &output) }
    }

    public func failureEvent(_ error: GatewayError) -> ByteBuffer { self.second.failureEvent(error) }
    public var completedResponse: JSONValue? { self.second.completedResponse }

    private mutating func pass(_ middle: ByteBuffer, into output: inout ByteBuffer) throws(StreamViolation) {
        guard middle.readableBytes > 0 else { return }
        let batch = SSEBatch(framing: middle)
        for index in 0..<batch.count where !self.second.isComplete {
            let event = SSEEvent(parsing: batch[index])
            guard event.hasData else { continue }
            try self.second.translate(event, into: &output)
        }
    }
}
