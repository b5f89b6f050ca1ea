import NIOCore

/// What happens to one stream's events between the upstream and the client, with no I/O of its
/// own: each batch of whole upstream events in, the bytes to write and what they mean out. The
/// pump (in the server) reads, writes and ends the request; this decides.
///
/// Passed through, a batch goes out as received (one slice of the upstream's bytes), less the
/// usage the gateway asked for on the client's behalf; translated, it goes through the
/// translator, whose output is a well-formed stream in the caller's format whatever comes in.
/// Either way every byte is scrubbed of the provider's keys, and the usage is read as it passes.
///
/// A stream whose output its quota or budget bounds is metered (`OutputMeter`): past its
/// allowance it is cut cleanly, the batch that crossed replaced by the format's own last
/// error event, and its usage is what was counted.
public struct StreamRelay: Sendable {
    public enum Transform: Sendable {
        /// Bytes as received; `stripsInjectedUsage` when the gateway asked for usage the client
        /// did not, which must come out again.
        case passThrough(stripsInjectedUsage: Bool)
        /// Translated event by event into the client's format.
        case translate(any StreamTranslator)
    }

    /// One batch's outcome.
    public struct Step: Sendable {
        /// What to write now (possibly nothing).
        public var output = ByteBuffer()
        /// `output` holds the stream's end (its `[DONE]`, `message_stop` or final Responses
        /// event): the caller's slot may be freed before it leaves.
        public var holdsEnd = false
        /// The response a Responses stream ended with, when the relay was asked to keep it.
        public var completedResponse: JSONValue?
        /// The stream ended in this error, whose event is already in `output`.
        public var failure: GatewayError?
        /// Nothing more is to be read.
        public var isFinished = false
    }

    public let format: APIFormat
    private let scrubber: SecretScrubber
    private let keepsCompletedResponse: Bool
    private var translator: (any StreamTranslator)?
    private var stripper: InjectedUsageStripper?
    public private(set) var usage: TokenUsage?
    /// Bytes of the answer written so far.
    public private(set) var answerBytes = 0
    private var meter: OutputMeter?
    /// The prompt the request's reservation estimated, its usage when cut before any report.
    private let promptEstimate: Int

    /// `outputAllowance`: the output tokens the request's reservation pays for, when it has one.
    public init(
        format: APIFormat, transform: Transform, scrubber: SecretScrubber, keepsCompletedResponse: Bool, outputAllowance: Int? = nil,
        promptEstimate: Int = 0
    ) {
        self.meter = outputAllowance.map { OutputMeter(allowance: $0, format: format) }
        self.promptEstimate = promptEstimate
        self.format = format
        self.scrubber = scrubber
        self.keepsCompletedResponse = keepsCompletedResponse
        switch transform {
        case .translate(let translator): self.translator = translator
        case .passThrough(let strips): self.stripper = strips ? InjectedUsageStripper() : nil
        }
    }

    /// The next batch of whole upstream events; nil when the upstream's body ended.
    public mutating func relay(_ batch: SSEBatch?) -> Step {
        if self.translator != nil { return self.translate(batch) }
        guard let batch else { return Step(isFinished: true) }
        var output = batch.bytes
        if self.stripper != nil {
            output = self.stripper!.strip(batch)
            self.usage = self.stripper!.usage ?? self.usage
            if output.readableBytes == 0 { return Step() }
        } else if self.format == .anthropic {
            // Anthropic's counts come in two events, input in `message_start` and output after,
            // and one read burst can bring both: each event's are merged, in order.
            for event in batch.events {
                if let usage = TokenUsage.lastReported(in: event) { self.usage = usage.merged(into: self.usage) }
            }
        } else if let usage = TokenUsage.lastReported(in: output, format: self.format) {
            self.usage = usage
        }
        output = self.scrubber.scrub(output)
        let ends = StreamEndMarker.isIn(output, format: self.format)
        if self.meter != nil, let cut = self.cutIfPastAllowance(output, ends: ends) {
            return cut
        }
        self.answerBytes += output.readableBytes
        var step = Step(output: output)
        if ends {
            step.holdsEnd = true
            if self.keepsCompletedResponse { step.completedResponse = ResponsesStreamEnd.response(in: batch) }
        }
        return step
    }

    private mutating func translate(_ batch: SSEBatch?) -> Step {
        let translated = batch.map { self.translator!.translate($0) } ?? self.translator!.finish()
        self.usage = self.translator!.usage ?? self.usage
        let output = self.scrubber.scrub(translated.output)
        if self.meter != nil, translated.failure == nil, let cut = self.cutIfPastAllowance(output, ends: self.translator!.isComplete) {
            return cut
        }
        self.answerBytes += output.readableBytes
        let isComplete = self.translator!.isComplete
        var step = Step(output: output, holdsEnd: isComplete || translated.failure != nil, failure: translated.failure)
        if translated.failure == nil && self.keepsCompletedResponse { step.completedResponse = self.translator!.completedResponse }
        step.isFinished = isComplete || translated.failure != nil || batch == nil
        return step
    }

    /// The end of a stream whose output ran past its allowance with `output`: the format's
    /// error event instead of it, and the usage counted. Nil while within the allowance, or
    /// when the upstream's own count says it kept to it: at the stream's end, or once it has
    /// counted its output (Anthropic's `message_delta`; its `message_start` says 1).
    private mutating func cutIfPastAllowance(_ output: ByteBuffer, ends: Bool) -> Step? {
        let before = self.meter!
        guard self.meter!.count(output) else { return nil }
        let meter = self.meter!
        if let reported = self.usage, ends || reported.completionTokens > 1, reported.completionTokens <= meter.allowance {
            return nil
        }
        self.meter = nil
        // The batch's events that keep to the allowance still go out, ahead of the error: one
        // read burst can hold most of a fast upstream's stream. The count stops at the event
        // that crossed, which is charged though not sent.
        var counted = before
        var sent = ByteBuffer()
        for event in SSEBatch(framing: output).events {
            if counted.count(event) { break }
            sent.writeImmutableBuffer(event)
        }
        let reported = self.usage
        self.usage = TokenUsage(
            promptTokens: reported?.promptTokens ?? self.promptEstimate, completionTokens: counted.tokens,
            cacheReadTokens: reported?.cacheReadTokens ?? 0, cacheWriteTokens: reported?.cacheWriteTokens ?? 0)
        let error = GatewayError.budgetCut(outputTokens: meter.allowance)
        var event = self.failureEvent(error)
        sent.writeBuffer(&event)
        self.answerBytes += sent.readableBytes
        return Step(output: sent, holdsEnd: true, failure: error, isFinished: true)
    }

    /// The event that ends the stream with `error` found outside the events (a deadline, a
    /// broken connection): the translator's own, in its sequence, or the caller format's.
    public func failureEvent(_ error: GatewayError) -> ByteBuffer {
        self.translator?.failureEvent(error) ?? self.format.streamErrorEvent(error)
    }
}
