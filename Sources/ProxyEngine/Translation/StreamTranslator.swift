import NIOCore

/// A stream broke the rules of its format: an event out of order, a block index that does not
/// follow, a delta for a block of another kind, an end that never came.
public struct StreamViolation: Error, Sendable, Equatable {
    public let reason: String
    /// The upstream itself reported an error mid-stream: relayed, not a translation fault.
    public let isUpstreamError: Bool

    public init(_ reason: String) {
        self.reason = reason
        self.isUpstreamError = false
    }

    public static func upstreamError(_ message: String) -> StreamViolation {
        StreamViolation(reason: message, isUpstreamError: true)
    }

    private init(reason: String, isUpstreamError: Bool) {
        self.reason = reason
        self.isUpstreamError = isUpstreamError
    }
}

/// Turns an upstream event stream of one format into the caller's, event by event, as events
/// arrive. Whatever the upstream sends, the output is a well-formed stream: every event is
/// checked by the caller format's validator before it is written, and a violation (or an
/// upstream error event) ends the stream with one error event in the caller's format.
public protocol StreamTranslator: Sendable {
    /// Translates one whole upstream event into `output`.
    mutating func translate(_ event: SSEEvent, into output: inout ByteBuffer) throws(StreamViolation)
    /// The upstream's body ended; writes what closes the stream, if it may close here.
    mutating func finish(into output: inout ByteBuffer) throws(StreamViolation)
    /// The format the translator writes: its error events are this format's.
    var callerFormat: APIFormat { get }
    /// The stream reached its end: nothing more may be written.
    var isComplete: Bool { get }
    /// Token counts the stream reported.
    var usage: TokenUsage? { get }
    /// The event that ends the stream with `error`: the caller format's error event, unless the
    /// format numbers its events (Responses' `response.failed`).
    func failureEvent(_ error: GatewayError) -> ByteBuffer
    /// The whole response a Responses stream ended with (`response.completed`'s), for keeping.
    var completedResponse: JSONValue? { get }
}

extension StreamTranslator {
    public func failureEvent(_ error: GatewayError) -> ByteBuffer { self.callerFormat.streamErrorEvent(error) }
    public var completedResponse: JSONValue? { nil }
}

/// What a translated stream has come to after a batch of events.
public struct TranslatedBatch: Sendable {
    public var output: ByteBuffer
    /// Set when the stream ended in an error event (already in `output`).
    public var failure: GatewayError?
}

extension StreamTranslator {
    /// Translates a buffer of whole events (framing it first).
    public mutating func translate(batch: ByteBuffer) -> TranslatedBatch {
        self.translate(SSEBatch(framing: batch))
    }

    /// Translates a batch of whole events as `SSEEventBatches` yields them, already framed.
    public mutating func translate(_ batch: SSEBatch) -> TranslatedBatch {
        var output = ByteBufferAllocator().buffer(capacity: batch.bytes.readableBytes + 128)
        for index in 0..<batch.count where !self.isComplete {
            let event = SSEEvent(parsing: batch[index])
            guard event.hasData else { continue }
            do {
                try self.translate(event, into: &output)
            } catch {
                return self.failing(error, output: output)
            }
        }
        return TranslatedBatch(output: output, failure: nil)
    }

    /// The upstream's body ended.
    public mutating func finish() -> TranslatedBatch {
        var output = ByteBuffer()
        guard !self.isComplete else { return TranslatedBatch(output: output, failure: nil) }
        do {
            try self.finish(into: &output)
        } catch {
            return self.failing(error, output: output)
        }
        return TranslatedBatch(output: output, failure: nil)
    }

    private func failing(_ violation: StreamViolation, output: ByteBuffer) -> TranslatedBatch {
        var output = output
        let error =
            violation.isUpstreamError
            ? GatewayError.upstreamFailed("The upstream failed mid-stream: \(violation.reason)")
            : GatewayError.upstreamFailed("The upstream's stream could not be translated: \(violation.reason).")
        var event = self.failureEvent(error)
        output.writeBuffer(&event)
        return TranslatedBatch(output: output, failure: error)
    }
}
