import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ProxyEngine

/// A mock LLM provider on loopback speaking the OpenAI Chat Completions and the Anthropic
/// Messages wire formats, streaming and not, with tools, reasoning and fault injection. Used by the tests (in-process), `proxy-mock` and `proxy-bench`.
public struct MockUpstreamServer: Sendable {
    public let behaviour: MockUpstreamBehaviour
    public let stats: MockStats
    public let gates: MockGates

    public init(behaviour: MockUpstreamBehaviour = .init(), stats: MockStats = .init(), gates: MockGates = .init()) {
        self.behaviour = behaviour
        self.stats = stats
        self.gates = gates
    }

    public func application(
        host: String = "127.0.0.1",
        port: Int,
        logger: Logger = Logger(label: "proxy-mock"),
        countingSentBytes: Bool = false,
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let router = Router()
        router.add(middleware: ProviderIdentityHeaders())
        router.post("/v1/chat/completions", use: self.chatCompletions)
        router.post("/chat/completions", use: self.chatCompletions)
        router.post("/v1/messages", use: self.messages)
        router.post("/v1/responses", use: self.responses)
        router.post("/responses", use: self.responses)
        router.post("/v1/messages/count_tokens", use: self.countTokens)
        router.post("/v1beta/models/:target", use: self.gemini)
        router.post("/v1/models/:target", use: self.gemini)
        router.post("/v1/embeddings", use: self.embeddings)
        router.post("/v1/oauth/token", use: self.oauthToken)
        // Health checks (`GET /models` under each API root): a faulty key (per `faultsByKey`) fails here too.
        router.get("/v1/models", use: self.models)
        router.get("/v1beta/models", use: self.models)
        router.get("/mock/stats") { _, _ in
            let snapshot = self.stats.snapshot
            var json = JSONWriter()
            json.append(#"{"requests":"#)
            json.appendInt(snapshot.requests)
            json.append(#","streams_started":"#)
            json.appendInt(snapshot.streamsStarted)
            json.append(#","streams_completed":"#)
            json.appendInt(snapshot.streamsCompleted)
            json.append(#","streams_cancelled":"#)
            json.appendInt(snapshot.streamsCancelled)
            json.append(#","active":"#)
            json.appendInt(snapshot.active)
            json.append(#","oauth_refreshes":"#)
            json.appendInt(snapshot.oauthRefreshes)
            json.append("}")
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: json.buffer))
        }
        router.get("/mock/last-request") { _, _ in
            let snapshot = self.stats.snapshot
            var json = JSONWriter()
            json.append(#"{"body":"#)
            json.append(snapshot.lastBody ?? "null")
            json.append(#","headers":{"#)
            for (index, header) in snapshot.lastHeaders.sorted(by: { $0.key < $1.key }).enumerated() {
                if index > 0 { json.append(",") }
                json.appendString(header.key)
                json.append(":")
                json.appendString(header.value)
            }
            json.append("}}")
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: json.buffer))
        }
        let stats = self.stats
        return Application(
            router: router,
            // A promise per write: only where a test asks what the sockets took (`bodyBytesSent`).
            server: .http1(configuration: .init(additionalChannelHandlers: countingSentBytes ? [SentBytesCounter(stats: stats)] : [])),
            configuration: .init(address: .hostname(host, port: port), serverName: nil, backlog: 4096),
            onServerRunning: { await onServerRunning($0.localAddress?.port ?? 0) },
            logger: logger
        )
    }

    @Sendable func models(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let refused = Self.key(request.headers).flatMap { self.behaviour.faultsByKey[$0] } != nil
        return Response(
            status: refused ? .unauthorized : .ok, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: refused ? #"{"error":{"message":"refused"}}"# : #"{"object":"list","data":[]}"#))
        )
    }

    @Sendable func chatCompletions(_ request: Request, context: BasicRequestContext) async throws -> Response {
        try await self.answer(request, format: .openAI)
    }

    @Sendable func messages(_ request: Request, context: BasicRequestContext) async throws -> Response {
        try await self.answer(request, format: .anthropic)
    }

    @Sendable func responses(_ request: Request, context: BasicRequestContext) async throws -> Response {
        try await self.answer(request, format: .responses)
    }

    /// Counts like the gateway's estimate, so tests can tell a relayed count by its header.
    @Sendable func countTokens(_ request: Request, context: BasicRequestContext) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: 64 * 1024 * 1024)
        self.record(request, body: body)
        switch self.pickFault(self.behaviour, headers: request.headers) {
        case .error429?:
            var response = Self.errorResponse(status: .tooManyRequests, message: "slow down", type: "rate_limit_error", format: .anthropic)
            response.headers[HTTPField.Name("retry-after")!] = "30"
            return response
        case .error500?:
            return Self.errorResponse(status: .internalServerError, message: "boom", type: "api_error", format: .anthropic)
        default:
            break
        }
        guard let parsed = JSONValue(parsing: body) else {
            return Self.errorResponse(status: .badRequest, message: "invalid JSON", type: "invalid_request_error", format: .anthropic)
        }
        let json = #"{"input_tokens":\#(TokenEstimate.inputTokens(ofMessagesRequest: parsed))}"#
        return Response(
            status: .ok, headers: [.contentType: "application/json", HTTPField.Name("x-mock-counted")!: "exact"],
            body: .init(byteBuffer: ByteBuffer(string: json)))
    }

    /// An OAuth token endpoint: `refresh_token` and `authorization_code` grants (a code needs
    /// its PKCE verifier), each issuing `mock-access-N` / `mock-refresh-N` valid for an hour.
    @Sendable func oauthToken(_ request: Request, context: BasicRequestContext) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: 1024 * 1024)
        let fields = JSONValue(parsing: body)
        if self.behaviour.oauthLatencyMilliseconds > 0 { try await Task.sleep(for: .milliseconds(self.behaviour.oauthLatencyMilliseconds)) }
        let grant = fields?["grant_type"]?.stringValue
        let valid: Bool
        switch grant {
        case "refresh_token":
            let token = fields?["refresh_token"]?.stringValue ?? "revoked"
            valid =
                !token.hasPrefix("revoked")
                && !(self.behaviour.oauthSingleUseRefreshTokens && self.stats.snapshot.usedRefreshTokens.contains(token))
        case "authorization_code":
            valid = (fields?["code_verifier"]?.stringValue?.count ?? 0) >= 43 && fields?["code"]?.stringValue == "mock-code"
        default: valid = false
        }
        guard valid else {
            return Response(
                status: .badRequest, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: #"{"error":"invalid_grant"}"#)))
        }
        var issued = 0
        var reused = false
        self.stats.update {
            if grant == "refresh_token" {
                let token = fields?["refresh_token"]?.stringValue ?? ""
                reused = self.behaviour.oauthSingleUseRefreshTokens && !$0.usedRefreshTokens.insert(token).inserted
                if reused { return }
                $0.oauthRefreshes += 1
            } else {
                $0.oauthCodeExchanges += 1
            }
            issued = $0.oauthRefreshes + $0.oauthCodeExchanges
        }
        // Two refreshes with one token at the same moment: only the first wins.
        guard !reused else {
            return Response(
                status: .badRequest, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: #"{"error":"invalid_grant"}"#)))
        }
        let json =
            #"{"token_type":"Bearer","access_token":"mock-access-\#(issued)","refresh_token":"mock-refresh-\#(issued)","expires_in":\#(self.behaviour.oauthExpiresInSeconds)}"#
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: json)))
    }

    /// The bearer token or `x-api-key` a request was sent with: the account it came from.
    static func key(_ headers: HTTPFields) -> String? {
        if let apiKey = headers[HTTPField.Name("x-api-key")!] { return apiKey }
        if let apiKey = headers[HTTPField.Name("x-goog-api-key")!] { return apiKey }
        return headers[.authorization].map { String($0.dropFirst("Bearer ".count)) }
    }

    func record(_ request: Request, body: ByteBuffer) {
        self.stats.update { stats in
            stats.requests += 1
            stats.lastAuthorization = request.headers[.authorization]
            stats.lastHeaderNames = request.headers.map { $0.name.canonicalName }
            stats.lastHeaders = Dictionary(request.headers.map { ($0.name.canonicalName, $0.value) }, uniquingKeysWith: { "\($0), \($1)" })
            stats.lastBodyBytes = body
            stats.lastPath = request.uri.description
            if let key = Self.key(request.headers) { stats.requestsByKey[key, default: 0] += 1 }
        }
    }

    private func answer(_ request: Request, format: APIFormat) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: 64 * 1024 * 1024)
        var behaviour = self.effectiveBehaviour(request.headers)
        self.record(request, body: body)
        let summary: CompletionRequestSummary
        do {
            summary = try CompletionRequestSummary(body: body, format: format)
        } catch {
            return Self.errorResponse(status: .badRequest, message: error.message, type: "invalid_request_error", format: format)
        }
        // A piece is a token: an answer stops at its `max_tokens`, as a provider's does, unless
        // `x-mock-ignore-max-tokens` plays an upstream that ignores it.
        if let limit = summary.maxOutputTokens, request.headers[HTTPField.Name("x-mock-ignore-max-tokens")!] == nil {
            behaviour.chunks = max(1, min(behaviour.chunks, limit))
        }
        if behaviour.latencyMilliseconds > 0 {
            try await Task.sleep(for: .milliseconds(behaviour.latencyMilliseconds))
        }
        let fault = self.pickFault(behaviour, headers: request.headers)
        switch fault {
        case .error500:
            return Self.errorResponse(status: .internalServerError, message: "mock upstream failure", type: "server_error", format: format)
        case .error429:
            var response = Self.errorResponse(
                status: .tooManyRequests, message: "mock rate limit", type: "rate_limit_error", format: format)
            // `x-mock-retry-after` sets how long the account should cool down (default 1 s).
            response.headers[HTTPField.Name("retry-after")!] = request.headers[HTTPField.Name("x-mock-retry-after")!] ?? "1"
            return response
        case .error401Echo:
            let key = Self.key(request.headers) ?? ""
            return Self.errorResponse(
                status: .unauthorized, message: "Incorrect API key provided: \(key).", type: "authentication_error", format: format)
        case .stall:
            // Nothing is ever sent; only the client leaving (or its timeout) ends this request.
            try await request.body.consumeWithCancellationOnInboundClose { _ in
                try await Task.sleep(for: .seconds(3600))
            }
            return Response(status: .noContent)
        case .malformed:
            return Response(
                status: .ok, headers: [.contentType: "text/html"], body: .init(byteBuffer: ByteBuffer(string: "<html>oops</html>")))
        case .echoKey:
            let echo = MockKeyEcho(key: Self.key(request.headers) ?? "", format: format)
            guard summary.stream else {
                return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: echo.wholeAnswer()))
            }
            return Response(
                status: .ok, headers: [.contentType: "text/event-stream"],
                body: ResponseBody { writer in
                    for (index, write) in echo.streamWrites().enumerated() {
                        // Apart in time, so that the gateway most likely reads the two halves apart.
                        if index > 0 { try await Task.sleep(for: .milliseconds(20)) }
                        try await writer.write(write)
                    }
                    try await writer.finish(nil)
                })
        case .reset where !summary.stream:
            throw MockReset()
        case .dropBody where !summary.stream:
            let part = ByteBuffer(string: #"{"id":"chatcmpl-mock","object":"chat.completion","choices":["#)
            return Response(
                status: .ok, headers: [.contentType: "application/json", .contentLength: "4096"],
                body: ResponseBody { writer in
                    try await writer.write(part)
                    throw MockReset()
                })
        case .reset, .dropBody, .stallStream, nil:
            break
        }
        let created = request.headers[HTTPField.Name("x-mock-created")!].flatMap { Int($0) } ?? Int(Date().timeIntervalSince1970)
        let includeUsage = summary.includeUsage
        let events: MockEvents
        if format == .responses {
            let promptTokens = max(1, body.readableBytes / 4)
            let isPlainText = !["\"tools\"", "\"reasoning\""].contains { ByteSearch.contains(Array($0.utf8), in: body) }
            if summary.stream && isPlainText {
                // What the bench loads: written as it goes, the same events the adapter renders.
                let completion = MockCompletion(
                    id: "", model: summary.model, created: created, chunks: behaviour.chunks, promptTokens: promptTokens)
                events = .responsesText(MockResponsesText(completion: completion))
            } else {
                guard var parsed = JSONValue(parsing: body) else {
                    return Self.errorResponse(status: .badRequest, message: "invalid JSON", type: "invalid_request_error", format: format)
                }
                // A native upstream keeps its own responses; the mock answers a continuation as a
                // new conversation.
                if case .object(var members) = parsed, members["previous_response_id"] != nil {
                    members["previous_response_id"] = nil
                    parsed = .object(members)
                }
                do {
                    guard summary.stream else {
                        let whole = try MockResponses.whole(
                            to: parsed, chunks: behaviour.chunks, created: created, promptTokens: promptTokens)
                        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: whole))
                    }
                    events = .rendered(
                        try MockResponses.streamEvents(to: parsed, chunks: behaviour.chunks, created: created, promptTokens: promptTokens))
                } catch {
                    return Self.errorResponse(status: .badRequest, message: error.message, type: "invalid_request_error", format: format)
                }
            }
        } else if format == .anthropic || MockAnswer.needsFullAnswer(openAIRequest: body) {
            guard let parsed = JSONValue(parsing: body) else {
                return Self.errorResponse(status: .badRequest, message: "invalid JSON", type: "invalid_request_error", format: format)
            }
            var answer = MockAnswer(
                request: parsed, format: format, chunks: behaviour.chunks, created: created, promptTokens: max(1, body.readableBytes / 4))
            // A prompt served from the provider's cache, as the usage reports it.
            let count = { (name: String) in request.headers[HTTPField.Name(name)!].flatMap { Int($0) }.map { min(max(0, $0), 1 << 30) } }
            if let prompt = count("x-mock-prompt-tokens") { answer.usage.inputTokens = prompt }
            if let read = count("x-mock-cache-read") { answer.usage.cacheReadTokens = read }
            if let write = count("x-mock-cache-write") { answer.usage.cacheCreationTokens = write }
            guard summary.stream else {
                let whole = format == .anthropic ? answer.anthropicMessage() : answer.openAICompletion()
                return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: whole))
            }
            events = .rendered(answer.streamEvents(format, includeUsage: includeUsage))
        } else {
            let completion = MockCompletion(
                id: "chatcmpl-mock", model: summary.model, created: created, chunks: behaviour.chunks,
                promptTokens: max(1, body.readableBytes / 4))
            guard summary.stream else {
                return Response(
                    status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: completion.completionBody()))
            }
            let eventBytes = request.headers[HTTPField.Name("x-mock-event-bytes")!].flatMap { Int($0) }.map { min(max(0, $0), 1 << 20) }
            events = eventBytes.map { .padded(completion, event: MockEvents.paddedEvent(completion, bytes: $0)) } ?? .completion(completion)
        }
        let hold = request.headers[HTTPField.Name("x-mock-hold")!]
        var headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-cache"]
        // A held or stalled stream watches for its client leaving, which ends the connection's
        // inbound side: say so, so that the client does not reuse the connection.
        let watchesHangUp = hold != nil || fault == .stallStream
        if watchesHangUp { headers[.connection] = "close" }
        return Response(
            status: .ok,
            headers: headers,
            body: self.streamBody(
                events, behaviour: behaviour, fault: fault, includeUsage: includeUsage, hold: hold,
                request: watchesHangUp ? request : nil)
        )
    }

    private func streamBody(
        _ events: MockEvents,
        behaviour: MockUpstreamBehaviour,
        fault: MockUpstreamBehaviour.Fault?,
        includeUsage: Bool,
        hold: String?,
        request: Request?
    ) -> ResponseBody {
        ResponseBody { writer in
            self.stats.update {
                $0.streamsStarted += 1
                $0.active += 1
            }
            var completed = false
            defer {
                let completed = completed
                self.stats.update {
                    $0.active -= 1
                    if completed { $0.streamsCompleted += 1 } else { $0.streamsCancelled += 1 }
                }
            }
            let send: (inout any ResponseBodyWriter) async throws -> Void = { writer in
                let count = events.count(includeUsage: includeUsage)
                for index in 0..<count {
                    if behaviour.chunkDelayMilliseconds > 0 && events.isDelayed(index, includeUsage: includeUsage) {
                        try await Task.sleep(for: .milliseconds(behaviour.chunkDelayMilliseconds))
                    }
                    let event = events.event(index, includeUsage: includeUsage)
                    try await writer.write(event)
                    if index == 0, let hold { try await self.gates.wait(hold) }
                    if index == 0, fault == .stallStream { try await Task.sleep(for: .seconds(3600)) }
                    if index == count / 2, fault == .reset || fault == .dropBody { throw MockReset() }
                }
            }
            if let request {
                try await request.body.consumeWithCancellationOnInboundClose { _ in try await send(&writer) }
            } else {
                try await send(&writer)
            }
            completed = true
            try await writer.finish(nil)
        }
    }

    func effectiveBehaviour(_ headers: HTTPFields) -> MockUpstreamBehaviour {
        var behaviour = self.behaviour
        if let value = headers[HTTPField.Name("x-mock-chunks")!].flatMap({ Int($0) }) { behaviour.chunks = max(1, value) }
        if let value = headers[HTTPField.Name("x-mock-chunk-delay-ms")!].flatMap({ Int($0) }) { behaviour.chunkDelayMilliseconds = value }
        if let value = headers[HTTPField.Name("x-mock-latency-ms")!].flatMap({ Int($0) }) { behaviour.latencyMilliseconds = value }
        return behaviour
    }

    func pickFault(_ behaviour: MockUpstreamBehaviour, headers: HTTPFields) -> MockUpstreamBehaviour.Fault? {
        if let name = headers[HTTPField.Name("x-mock-fault")!] { return MockUpstreamBehaviour.Fault(rawValue: name) }
        if let key = Self.key(headers), let fault = behaviour.faultsByKey[key] { return fault }
        guard behaviour.failRate > 0, !behaviour.faults.isEmpty, Double.random(in: 0..<1) < behaviour.failRate else { return nil }
        return behaviour.faults.randomElement()
    }

    static func errorResponse(status: HTTPResponse.Status, message: String, type: String, format: APIFormat) -> Response {
        var json = JSONWriter()
        switch format {
        case .openAI, .responses:
            json.append(#"{"error":{"message":"#)
            json.appendString(message)
            json.append(#","type":"#)
            json.appendString(type)
            json.append(#","param":null,"code":null}}"#)
        case .gemini:
            json.append(#"{"error":{"code":"#)
            json.appendInt(Int(status.code))
            json.append(#","message":"#)
            json.appendString(message)
            json.append(#","status":"#)
            json.appendString(GeminiStatus.name(of: Int(status.code)))
            json.append("}}")
        case .anthropic:
            json.append(#"{"type":"error","error":{"type":"#)
            json.appendString(type == "server_error" ? "api_error" : type)
            json.append(#","message":"#)
            json.appendString(message)
            json.append("}}")
        }
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: json.buffer))
    }
}

/// Thrown inside a response to make Hummingbird drop the connection: an abrupt reset.
struct MockReset: Error {}

/// Prints `listening on HOST:PORT` unbuffered: scripts that start a server on port 0 wait for it.
public func announceListening(host: String, port: Int) {
    FileHandle.standardOutput.write(Data("listening on \(host):\(port)\n".utf8))
}

/// What real providers add to every answer: who the owner's organisation is, the API version,
/// the owner's rate-limit state. The gateway must relay only what its policy allows.
struct ProviderIdentityHeaders: RouterMiddleware {
    typealias Context = BasicRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[HTTPField.Name("openai-organization")!] = "org-owner-secret"
        response.headers[HTTPField.Name("anthropic-organization-id")!] = "owner-org-id"
        response.headers[HTTPField.Name("openai-version")!] = "2020-10-01"
        response.headers[HTTPField.Name("x-ratelimit-remaining-requests")!] = "4999"
        return response
    }
}
