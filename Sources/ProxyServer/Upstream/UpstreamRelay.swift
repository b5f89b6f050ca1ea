import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import ProxyEngine
import UpstreamTransport

/// What the upstream answered, read as far as the route needs before it answers the client.
enum UpstreamAnswer: Sendable {
    /// A whole body: every non-streaming answer, and every upstream error.
    case whole(UpstreamResponse, ByteBuffer)
    /// A successful streamed answer whose body has not been read yet.
    case stream(UpstreamResponse)

    /// Larger upstream bodies are refused rather than held in memory.
    static let maximumBodyBytes = 64 * 1024 * 1024
    static let maximumErrorBodyBytes = 1024 * 1024

    /// Reads `response` as a client asking for `stream` needs it.
    static func read(_ response: UpstreamResponse, stream: Bool) async throws -> UpstreamAnswer {
        let isError = response.status.code >= 400
        if stream && !isError { return .stream(response) }
        let body = try await response.body.collect(upTo: isError ? Self.maximumErrorBodyBytes : Self.maximumBodyBytes)
        return .whole(response, body)
    }
}

/// Turns an upstream answer into the client's response: relayed errors, whole bodies, streams.
struct UpstreamRelay {
    let deadline: NIODeadline
    /// The request's event loop, where its stream's deadline timer runs.
    let eventLoop: (any EventLoop)?
    let client: ClientConnection?
    let timeoutSeconds: Double
    let scrubber: SecretScrubber
    let bridge: FormatBridge
    /// The provider's `expose_rate_limit_headers`.
    let exposesRateLimits: Bool
    let logger: Logger
    /// The gateway's clock (a translated answer's `created`).
    let now: @Sendable () -> Double
    /// The output limit the gateway set upstream (see `CompletionPlan.clampedOutputTokens`).
    var clampedOutputTokens: Int?

    /// The client's format.
    var format: APIFormat { self.bridge.caller }

    /// An upstream 4xx/5xx, relayed with its status and its body with any key scrubbed (and
    /// re-written in the caller's format if the upstream speaks another). A body that is not
    /// JSON (an HTML error page) is wrapped in the caller's error format.
    func errorResponse(_ response: UpstreamResponse, body: ByteBuffer) -> Response {
        let status = HTTPResponse.Status(code: Int(response.status.code))
        self.logger.info("upstream error relayed", metadata: ["status": "\(status.code)"])
        guard Self.looksLikeJSONObject(body), let body = self.bridge.clientErrorBody(body, status: Int(status.code)) else {
            let error = GatewayError.upstreamFailed("The upstream answered \(status.code) \(status.reasonPhrase).")
            var relayed = Response.error(error, format: self.format)
            relayed.status = status
            self.relayHeaders(of: response, into: &relayed.headers)
            return relayed
        }
        var headers: HTTPFields = [:]
        self.relayHeaders(of: response, into: &headers)
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: self.scrubber.scrub(body)))
    }

    /// A whole (non-streaming) answer, passed through unparsed when no translation is needed.
    /// The response, and the body it carries.
    func completeResponse(_ response: UpstreamResponse, body: ByteBuffer) throws(GatewayError) -> (Response, ByteBuffer) {
        guard Self.looksLikeJSONObject(body) else {
            throw GatewayError.upstreamFailed("The upstream answered with a body that is not a JSON object.")
        }
        let body = self.scrubber.scrub(try self.bridge.clientBody(body, created: Int(self.now())))
        var headers: HTTPFields = [:]
        self.relayHeaders(of: response, into: &headers)
        headers[.contentType] = "application/json"
        return (
            Response(status: HTTPResponse.Status(code: Int(response.status.code)), headers: headers, body: .init(byteBuffer: body)), body
        )
    }

    /// A streamed answer: the head goes out now, events follow as the upstream sends them.
    func streamingResponse(
        _ response: UpstreamResponse,
        outcome: RequestOutcome,
        transform: StreamRelay.Transform,
        onResponseCompleted: (@Sendable (JSONValue) async -> Void)? = nil
    ) throws(GatewayError) -> Response {
        let contentType = response.headers.first(name: "content-type") ?? ""
        guard contentType.lowercased().hasPrefix("text/event-stream") else {
            // Dropping the unread body aborts the upstream request.
            throw GatewayError.upstreamFailed("The upstream did not answer with an event stream.")
        }
        var headers: HTTPFields = [:]
        self.relayHeaders(of: response, into: &headers)
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        // Tells a buffering reverse proxy in front of the gateway (nginx) to pass events at once.
        headers[HTTPField.Name("x-accel-buffering")!] = "no"
        let pump = SSEPump(
            upstream: response.body,
            client: self.client,
            deadline: self.deadline,
            eventLoop: self.eventLoop,
            timeoutSeconds: self.timeoutSeconds,
            format: self.format,
            logger: self.logger,
            outcome: outcome,
            transform: transform,
            scrubber: self.scrubber,
            onResponseCompleted: onResponseCompleted
        )
        return Response(status: .ok, headers: headers, body: pump.responseBody())
    }

    private func relayHeaders(of response: UpstreamResponse, into fields: inout HTTPFields) {
        UpstreamHeaders.relayed(
            from: response.headers, status: Int(response.status.code), exposesRateLimits: self.exposesRateLimits, into: &fields)
        if let clamped = self.clampedOutputTokens {
            // The caller's quota or budget pays for no more: the answer may stop short of what it asked.
            fields[.xGatewayMaxTokens] = String(clamped)
        }
        let dropped = self.bridge.responsesContext.droppedTools
        if !dropped.isEmpty {
            // Hosted tools only OpenAI runs: the request was served without them, and says so.
            fields[HTTPField.Name("x-gateway-dropped-tools")!] = Array(Set(dropped)).sorted().joined(separator: ", ")
        }
    }

    static func looksLikeJSONObject(_ body: ByteBuffer) -> Bool {
        let view = body.readableBytesView
        let isWhitespace = { (byte: UInt8) in byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }
        guard let first = view.first(where: { !isWhitespace($0) }), let last = view.last(where: { !isWhitespace($0) }) else { return false }
        return first == UInt8(ascii: "{") && last == UInt8(ascii: "}")
    }
}
