import AsyncAlgorithms
import FoundationEssentials
import Logging
import NIOCore
import NIOHTTP1
import ProxyEngine
import UpstreamTransport

/// The `mock` provider kind: answers in-process with generated text, so the gateway runs with no
/// key and no network (the root `config.toml` uses it).
struct MockUpstreamProvider: UpstreamProvider {
    let name: String
    let settings: MockProviderSettings

    init(config: ProviderConfig) {
        self.name = config.name
        self.settings = config.mock
    }

    var secrets: [String] { [] }

    var wireFormat: APIFormat? { nil }

    func probe(_ account: AccountConfig, deadline: NIODeadline, logger: Logger) async -> Bool { true }

    var accounts: [AccountConfig] { [] }

    func send(_ call: UpstreamCall, logger: Logger) async throws -> UpstreamResponse {
        if self.settings.latencyMilliseconds > 0 {
            try await Task.sleep(for: .milliseconds(self.settings.latencyMilliseconds))
        }
        let created = Int(Date().timeIntervalSince1970)
        if call.path.hasPrefix("/models/") { return try self.geminiResponse(call, created: created) }
        if call.path == "/embeddings" {
            guard let request = JSONValue(parsing: call.body), let answer = MockEmbedding.openAI(request) else {
                throw GatewayError.badRequest("'input' is required.")
            }
            return UpstreamResponse(status: .ok, headers: ["content-type": "application/json"], body: .bytes(answer.encoded))
        }
        let summary = try CompletionRequestSummary(body: call.body, format: call.path == "/responses" ? .responses : .openAI)
        let format: APIFormat =
            switch call.path {
            case "/messages": .anthropic
            case "/responses": .responses
            default: .openAI
            }
        if format == .responses {
            guard let request = JSONValue(parsing: call.body) else { throw GatewayError.badRequest("The request body is not valid JSON.") }
            let promptTokens = max(1, call.body.readableBytes / 4)
            guard summary.stream else {
                let whole = try MockResponses.whole(to: request, chunks: self.settings.chunks, created: created, promptTokens: promptTokens)
                return UpstreamResponse(status: .ok, headers: ["content-type": "application/json"], body: .bytes(whole))
            }
            let events = try MockResponses.streamEvents(
                to: request, chunks: self.settings.chunks, created: created, promptTokens: promptTokens)
            return UpstreamResponse(status: .ok, headers: ["content-type": "text/event-stream"], body: .stream(events.async))
        }
        if format == .anthropic || MockAnswer.needsFullAnswer(openAIRequest: call.body) {
            guard let request = JSONValue(parsing: call.body) else { throw GatewayError.badRequest("The request body is not valid JSON.") }
            let answer = MockAnswer(
                request: request, format: format, chunks: self.settings.chunks, created: created,
                promptTokens: max(1, call.body.readableBytes / 4))
            return self.response(answer, format: format, stream: summary.stream, includeUsage: summary.includeUsage)
        }
        let completion = MockCompletion(
            id: "chatcmpl-mock",
            model: summary.model,
            created: created,
            chunks: self.settings.chunks
        )
        if summary.stream {
            let events = MockEventSequence(
                completion: completion,
                delay: .milliseconds(Int64(self.settings.chunkDelayMilliseconds)),
                includeUsage: summary.includeUsage
            )
            return UpstreamResponse(status: .ok, headers: ["content-type": "text/event-stream"], body: .stream(events))
        }
        return UpstreamResponse(status: .ok, headers: ["content-type": "application/json"], body: .bytes(completion.completionBody()))
    }

    /// A Gemini `generateContent` or `streamGenerateContent` call (`/models/{model}:method`).
    private func geminiResponse(_ call: UpstreamCall, created: Int) throws -> UpstreamResponse {
        guard let request = JSONValue(parsing: call.body) else { throw GatewayError.badRequest("The request body is not valid JSON.") }
        let target = call.path.dropFirst("/models/".count)
        let model = String(target.prefix { $0 != ":" })
        let answer = try MockAnswer(
            geminiRequest: request, model: model, chunks: self.settings.chunks, created: created,
            promptTokens: max(1, call.body.readableBytes / 4))
        guard target.contains(":streamGenerateContent") else {
            return UpstreamResponse(status: .ok, headers: ["content-type": "application/json"], body: .bytes(answer.geminiResponse()))
        }
        return UpstreamResponse(status: .ok, headers: ["content-type": "text/event-stream"], body: .stream(answer.geminiEvents().async))
    }

    /// A `MockAnswer` with reasoning or a tool call, or in the Anthropic format: generated at
    /// once (these answers are for compatibility, not load).
    private func response(_ answer: MockAnswer, format: APIFormat, stream: Bool, includeUsage: Bool) -> UpstreamResponse {
        guard stream else {
            let body = format == .anthropic ? answer.anthropicMessage() : answer.openAICompletion()
            return UpstreamResponse(status: .ok, headers: ["content-type": "application/json"], body: .bytes(body))
        }
        let events = answer.streamEvents(format, includeUsage: includeUsage)
        return UpstreamResponse(status: .ok, headers: ["content-type": "text/event-stream"], body: .stream(events.async))
    }
}

/// The streamed mock answer, generated lazily in the consumer's task: no task, no buffer.
struct MockEventSequence: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let completion: MockCompletion
    let delay: TimeAmount
    let includeUsage: Bool

    func makeAsyncIterator() -> Iterator { Iterator(sequence: self) }

    struct Iterator: AsyncIteratorProtocol {
        let sequence: MockEventSequence
        var next = 0

        mutating func next() async throws -> ByteBuffer? {
            let count = self.sequence.completion.streamEventCount
            let usageEvents = self.sequence.includeUsage ? 1 : 0
            guard self.next <= count + usageEvents else { return nil }
            defer { self.next += 1 }
            if self.next > 0 && self.next < count && self.sequence.delay.nanoseconds > 0 {
                try await Task.sleep(for: .nanoseconds(self.sequence.delay.nanoseconds))
            }
            if self.next == count + usageEvents { return MockCompletion.doneEvent }
            if self.next == count { return self.sequence.completion.usageEvent() }
            return self.sequence.completion.streamEvent(self.next, includeUsage: self.sequence.includeUsage)
        }
    }
}
