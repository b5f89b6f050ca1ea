import HTTPTypes
import AsyncHTTPClient
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import ProxyEngine

/// Turns an upstream response into the client's response: relayed errors, whole bodies, streams.
struct UpstreamRelay {
    /// Larger upstream bodies are refused rather than held in memory.
    static let maximumBodyBytes = 64 * 1024 * 1024
    static let maximumErrorBodyBytes = 1024 * 1024

    let response: HTTPClientResponse
    let deadline: NIODeadline
    let client: ClientConnection?
    let timeoutSeconds: Double
    let scrubber: SecretScrubber
    let format: APIFormat
    let logger: Logger

    /// An upstream 4xx/5xx, relayed with its status and its body with any key scrubbed. A body
    /// that is not JSON (an HTML error page) is wrapped in the caller's error format.
    func errorResponse() async throws -> Response {
        let body = try await self.collect(upTo: Self.maximumErrorBodyBytes)
        let status = HTTPResponse.Status(code: Int(self.response.status.code))
        self.logger.info("upstream error relayed", metadata: ["status": "\(status.code)"])
        guard Self.looksLikeJSONObject(body) else {
            let error = GatewayError.upstreamFailed("The upstream answered \(status.code) \(status.reasonPhrase).")
            var response = Response.error(error, format: self.format)
            response.status = status
            return response
        }
        var headers: HTTPFields = [:]
        UpstreamHeaders.relayed(from: self.response.headers, into: &headers)
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: self.scrubber.scrub(body)))
    }

    /// A whole (non-streaming) answer, passed through unparsed.
    func completeResponse(outcome: inout RequestOutcome) async throws -> Response {
        let body = try await self.collect(upTo: Self.maximumBodyBytes)
        outcome.usage = TokenUsage.lastReported(in: body)
        guard Self.looksLikeJSONObject(body) else {
            throw GatewayError.upstreamFailed("The upstream answered with a body that is not a JSON object.")
        }
        var headers: HTTPFields = [:]
        UpstreamHeaders.relayed(from: self.response.headers, into: &headers)
        headers[.contentType] = "application/json"
        return Response(status: HTTPResponse.Status(code: Int(self.response.status.code)), headers: headers, body: .init(byteBuffer: body))
    }

    /// A streamed answer: the head goes out now, events follow as the upstream sends them.
    func streamingResponse(outcome: RequestOutcome) async throws -> Response {
        let contentType = self.response.headers.first(name: "content-type") ?? ""
        guard contentType.lowercased().hasPrefix("text/event-stream") else {
            _ = try? await self.collect(upTo: Self.maximumErrorBodyBytes)
            throw GatewayError.upstreamFailed("The upstream did not answer with an event stream.")
        }
        var headers: HTTPFields = [:]
        UpstreamHeaders.relayed(from: self.response.headers, into: &headers)
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        // Tells a buffering reverse proxy in front of the gateway (nginx) to pass events at once.
        headers[HTTPField.Name("x-accel-buffering")!] = "no"
        let pump = SSEPump(
            upstream: self.response.body,
            client: self.client,
            deadline: self.deadline,
            timeoutSeconds: self.timeoutSeconds,
            format: self.format,
            logger: self.logger,
            outcome: outcome
        )
        return Response(status: .ok, headers: headers, body: pump.responseBody())
    }

    private func collect(upTo limit: Int) async throws -> ByteBuffer {
        do {
            return try await withRequestScope(deadline: self.deadline, client: self.client) {
                try await self.response.body.collect(upTo: limit)
            }
        } catch is CancellationError {
            throw CancellationError()
        } catch let error as NIOTooManyBytesError {
            _ = error
            throw GatewayError.upstreamFailed("The upstream answer is larger than \(limit) bytes.")
        } catch {
            throw UpstreamFailure.classify(error, timeoutSeconds: self.timeoutSeconds, logger: self.logger)
        }
    }

    static func looksLikeJSONObject(_ body: ByteBuffer) -> Bool {
        let view = body.readableBytesView
        let whitespace: Set<UInt8> = [0x20, 0x09, 0x0A, 0x0D]
        guard let first = view.first(where: { !whitespace.contains($0) }),
            let last = view.last(where: { !whitespace.contains($0) })
        else { return false }
        return first == UInt8(ascii: "{") && last == UInt8(ascii: "}")
    }
}
