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
    /// What happens to the events between the upstream and the client (`StreamRelay`).
    let transform: StreamRelay.Transform
    /// Applied to every event written and every upstream message logged. Events are whole when
    /// scrubbed (`SSEEventBatches`), so a key split between two reads is caught.
    let scrubber: SecretScrubber
    /// Given the whole response a Responses stream ended with (to keep it, or pin its id to the
    /// account), before its last event goes out: a client that continues the response as soon
    /// as it reads the end must find it.
    let onResponseCompleted: (@Sendable (JSONValue) async -> Void)?

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
        let reservation = self.outcome.ticket?.reservation
        var relay = StreamRelay(
            format: self.format, transform: self.transform, scrubber: self.scrubber,
            keepsCompletedResponse: self.onResponseCompleted != nil, outputAllowance: reservation?.outputTokens,
            promptEstimate: reservation?.promptTokens ?? 0)
        var clientGone: (any Error)?
        do {
            failure = try await self.relayEvents(to: &writer, outcome: &outcome, watch: watch, relay: &relay)
        } catch is DeadlineExceeded {
            failure = Failure(error: .upstreamTimeout(seconds: self.timeoutSeconds))
        } catch {
            // The client left (or the write failed): the stream ends here, counted as 499.
            clientGone = error
        }
        self.outcome.metrics.streamEnded()
        // Before the last bytes go out (it frees the slot), for the same reason as at `[DONE]`.
        // A stream cut at its budget was the gateway's doing, not the upstream's failure.
        let (status, cause): (Int, RequestLifecycle.Cause) =
            clientGone != nil
            ? (499, .clientLeft)
            : failure.map { ($0.error.status, $0.error.isBudgetExceeded ? .answered : .upstreamFailed) } ?? (200, .answered)
        if failure?.error.isBudgetExceeded == true { upstream.cancel() }
        await outcome.end(status: status, cause: cause)
        if let clientGone { throw clientGone }
        if let failure, !failure.isSent {
            self.logger.warning("stream ended by upstream failure", metadata: ["status": "\(failure.error.status)"])
            try await writer.write(relay.failureEvent(failure.error))
        }
        try await writer.finish(nil)
    }

    /// Reads the upstream's events and writes on what `relay` makes of them, until the stream
    /// ends: nil when it ended well, else how it failed.
    private func relayEvents(
        to writer: inout any ResponseBodyWriter, outcome: inout RequestOutcome, watch: RequestWatch, relay: inout StreamRelay
    ) async throws -> Failure? {
        var events = SSEEventBatches(self.upstream).makeAsyncIterator()
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
                if let keepAlive = self.format.keepAliveEvent(afterFirstEvent: relay.answerBytes > 0) { try await writer.write(keepAlive) }
                continue
            }
            let step = relay.relay(batch)
            outcome.usage = relay.usage ?? outcome.usage
            outcome.answerBytes = relay.answerBytes
            if step.holdsEnd {
                // A client may send its next request as soon as it reads the end (the SDKs stop
                // at `[DONE]`): its place must be free before the end leaves, and a response it
                // may continue must be kept.
                outcome.endMarkerSeen(delivered: step.failure == nil)
                if let completed = step.completedResponse { await self.onResponseCompleted?(completed) }
            }
            if step.output.readableBytes > 0 { try await writer.write(step.output) }
            if let failure = step.failure {
                // Its type only: the message can quote the upstream's own text.
                self.logger.warning("translated stream failed", metadata: ["status": "\(failure.status)"])
                return Failure(error: failure, isSent: true)
            }
            if step.isFinished { return nil }
        }
    }
}
