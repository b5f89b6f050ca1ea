import AsyncHTTPClient
import Hummingbird
import Logging
import NIOCore
import ProxyEngine

/// Pipes an upstream SSE body to the client, event by event as it arrives.
///
/// Runs in the response writer's task with no buffer between the two sides: a slow client slows
/// the upstream read (back-pressure) instead of growing memory. A client that hangs up cancels
/// the upstream read (see `ClientConnection`); an upstream that fails or passes
/// the deadline after the first byte ends the stream with one error event in the caller's format.
struct SSEPump {
    let upstream: HTTPClientResponse.Body
    let client: ClientConnection?
    let deadline: NIODeadline
    let timeoutSeconds: Double
    let format: APIFormat
    let logger: Logger
    let outcome: RequestOutcome
    /// The caller's place under its concurrency limit, given back when the stream ends.
    let slot: ConcurrencySlot?
    /// The gateway asked for usage the client did not: take it out again.
    let stripsInjectedUsage: Bool

    func responseBody() -> ResponseBody {
        ResponseBody { writer in
            do {
                try await self.pump(&writer)
            } catch {
                await self.slot?.release()
                throw error
            }
            await self.slot?.release()
        }
    }

    private static let doneEvent = Array("data: [DONE]".utf8)

    /// Whether a batch carries the OpenAI end-of-stream event.
    static func endsTheStream(_ batch: ByteBuffer) -> Bool {
        ByteSearch.contains(Self.doneEvent, in: batch)
    }

    private func pump(_ writer: inout any ResponseBodyWriter) async throws {
        var outcome = self.outcome
        var failure: GatewayError?
        self.outcome.metrics.streamStarted()
        do {
            failure = try await withRequestScope(deadline: self.deadline, client: self.client) { () async throws -> GatewayError? in
                var events = SSEEventBatches(self.upstream).makeAsyncIterator()
                var stripper = self.stripsInjectedUsage ? InjectedUsageStripper() : nil
                while true {
                    let batch: ByteBuffer?
                    do {
                        batch = try await events.next()
                    } catch is CancellationError {
                        throw CancellationError()
                    } catch {
                        return UpstreamFailure.classify(error, timeoutSeconds: self.timeoutSeconds, logger: self.logger)
                    }
                    guard var batch else { return nil }
                    if stripper != nil {
                        batch = stripper!.strip(batch)
                        outcome.usage = stripper!.usage ?? outcome.usage
                        if batch.readableBytes == 0 { continue }
                    } else if let usage = TokenUsage.lastReported(in: batch) {
                        outcome.usage = usage
                    }
                    outcome.answerBytes += batch.readableBytes
                    // A client may send its next request as soon as it reads `[DONE]` (the SDKs
                    // stop there): its place must be free before that event leaves.
                    if Self.endsTheStream(batch) { await self.slot?.release() }
                    try await writer.write(batch)
                }
            }
        } catch is DeadlineExceeded {
            failure = .upstreamTimeout(seconds: self.timeoutSeconds)
        } catch {
            // The client left (or the write failed): the stream ends here, counted as 499.
            self.outcome.metrics.streamEnded()
            await outcome.finish(status: 499)
            throw error
        }
        self.outcome.metrics.streamEnded()
        await outcome.finish(status: failure?.status ?? 200)
        // Before the last bytes go out, for the same reason as at `[DONE]`.
        await self.slot?.release()
        if let failure {
            self.logger.warning("stream ended by upstream failure", metadata: ["status": "\(failure.status)"])
            try await writer.write(self.format.streamErrorEvent(failure))
        }
        try await writer.finish(nil)
    }
}
