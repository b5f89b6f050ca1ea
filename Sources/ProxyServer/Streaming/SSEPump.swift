import Hummingbird
import Logging
import NIOCore
import ProxyEngine
import UpstreamTransport

/// Pipes an upstream SSE body to the client, event by event as it arrives.
///
/// Runs in the response writer's task with no buffer between the two sides: a slow client slows
/// the upstream read (back-pressure) instead of growing memory. A client that hangs up cancels
/// the upstream read (see `ClientConnection`); an upstream that fails or passes
/// the deadline after the first byte ends the stream with one error event in the caller's format.
struct SSEPump {
    let upstream: UpstreamBody
    let client: ClientConnection?
    let deadline: NIODeadline
    /// The request's event loop, where its deadline's timer runs.
    let eventLoop: (any EventLoop)?
    let timeoutSeconds: Double
    let format: APIFormat
    let logger: Logger
    /// Finished once, when the stream ends; its ticket holds the caller's concurrency slot.
    let outcome: RequestOutcome
    /// What happens to the events between the upstream and the client.
    let transform: Transform
    /// Applied to every event written and every upstream message logged. Events are whole when
    /// scrubbed (`SSEEventBatches`), so a key split between two reads is caught.
    let scrubber: SecretScrubber
    /// Given the whole response a Responses stream ended with (to keep it, or pin its id to the
    /// account), before its last event goes out: a client that continues the response as soon
    /// as it reads the end must find it.
    let onResponseCompleted: (@Sendable (JSONValue) async -> Void)?

    enum Transform: Sendable {
        /// Bytes as received; `stripsInjectedUsage` when the gateway asked for usage the client
        /// did not, which must come out again.
        case passThrough(stripsInjectedUsage: Bool)
        /// Translated event by event into the client's format.
        case translate(any StreamTranslator)
    }

    func responseBody() -> ResponseBody {
        ResponseBody { writer in try await self.pump(&writer) }
    }

    /// How a stream failed, and whether its error event is already written.
    private struct Failure {
        var error: GatewayError
        var isSent = false
    }

    private func pump(_ writer: inout any ResponseBodyWriter) async throws {
        var outcome = self.outcome
        var failure: Failure?
        self.outcome.metrics.streamStarted()
        let upstream = self.upstream
        let watch = RequestWatch(deadline: self.deadline, client: self.client, on: self.eventLoop) { upstream.cancel() }
        defer { watch.end() }
        // Held here, not in `relayEvents`: a failure found out there (the deadline) is written as
        // the translator's own last event, in its sequence.
        var translator: (any StreamTranslator)?
        if case .translate(let streamTranslator) = self.transform { translator = streamTranslator }
        var clientGone: (any Error)?
        do {
            failure = try await self.relayEvents(
                to: &writer, outcome: &outcome, watch: watch, translator: &translator)
        } catch is DeadlineExceeded {
            failure = Failure(error: .upstreamTimeout(seconds: self.timeoutSeconds))
        } catch {
            // The client left (or the write failed): the stream ends here, counted as 499.
            clientGone = error
        }
        self.outcome.metrics.streamEnded()
        // Before the last bytes go out (it frees the slot), for the same reason as at `[DONE]`.
        if clientGone != nil {
            await outcome.end(status: 499, cause: .clientLeft)
        } else {
            await outcome.end(status: failure?.error.status ?? 200, cause: failure == nil ? .answered : .upstreamFailed)
        }
        if let clientGone { throw clientGone }
        if let failure, !failure.isSent {
            self.logger.warning("stream ended by upstream failure", metadata: ["status": "\(failure.error.status)"])
            try await writer.write(translator?.failureEvent(failure.error) ?? self.format.streamErrorEvent(failure.error))
        }
        try await writer.finish(nil)
    }

    /// Reads the upstream's events and writes them on, transformed, until the stream ends: nil
    /// when it ended well, else how it failed.
    private func relayEvents(
        to writer: inout any ResponseBodyWriter, outcome: inout RequestOutcome, watch: RequestWatch,
        translator: inout (any StreamTranslator)?
    ) async throws -> Failure? {
        var events = SSEEventBatches(self.upstream).makeAsyncIterator()
        var stripper: InjectedUsageStripper?
        if case .passThrough(let stripsInjectedUsage) = self.transform, stripsInjectedUsage { stripper = InjectedUsageStripper() }
        while true {
            let batch: SSEBatch?
            do {
                batch = try await events.next()
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                // Cut by the watch: the deadline or the client, not the upstream.
                if let cut = watch.cutError { throw cut }
                return Failure(error: UpstreamFailure.classify(error, timeoutSeconds: self.timeoutSeconds, logger: self.logger))
            }
            if let batch, batch.isSilence {
                // Between whole events, in the client's format: a thinking model's long silence
                // must not look like a dead connection to an intermediary.
                try await writer.write(self.format.keepAliveEvent(afterFirstEvent: outcome.answerBytes > 0))
                continue
            }
            if translator != nil {
                let translated = batch.map { translator!.translate($0) } ?? translator!.finish()
                outcome.usage = translator!.usage ?? outcome.usage
                let output = self.scrubber.scrub(translated.output)
                outcome.answerBytes += output.readableBytes
                // See `[DONE]` below: the translated stream's last events are going out.
                if translator!.isComplete || translated.failure != nil { outcome.endMarkerSeen() }
                if translated.failure == nil, let completed = translator!.completedResponse { await self.onResponseCompleted?(completed) }
                if output.readableBytes > 0 { try await writer.write(output) }
                if let failure = translated.failure {
                    self.logger.warning("translated stream failed", metadata: ["reason": "\(self.scrubber.scrub(failure.message))"])
                    return Failure(error: failure, isSent: true)
                }
                if translator!.isComplete || batch == nil { return nil }
                continue
            }
            guard let batch else { return nil }
            // Passed on as received: one slice of the upstream's bytes, written at once.
            var output = batch.bytes
            if stripper != nil {
                output = stripper!.strip(batch)
                outcome.usage = stripper!.usage ?? outcome.usage
                if output.readableBytes == 0 { continue }
            } else if let usage = TokenUsage.lastReported(in: output) {
                outcome.usage = self.format == .anthropic ? usage.merged(into: outcome.usage) : usage
            }
            output = self.scrubber.scrub(output)
            outcome.answerBytes += output.readableBytes
            // A client may send its next request as soon as it reads `[DONE]` (the SDKs
            // stop there): its place must be free before that event leaves.
            if StreamEndMarker.isIn(output, format: self.format) {
                outcome.endMarkerSeen()
                // Kept before the client can read the end and continue the response.
                if let onResponseCompleted = self.onResponseCompleted, let completed = ResponsesStreamEnd.response(in: batch) {
                    await onResponseCompleted(completed)
                }
            }
            try await writer.write(output)
        }
    }
}
