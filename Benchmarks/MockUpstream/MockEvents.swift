import NIOCore
import ProxyEngine

/// The events of one mock stream.
enum MockEvents: Sendable {
    /// Plain OpenAI text: the fast generator the benchmark loads, one event at a time.
    case completion(MockCompletion)
    /// Reasoning, tools, or the Anthropic format: rendered once, up front.
    case rendered([ByteBuffer])
    /// Plain OpenAI text whose every piece is one large `event` (`x-mock-event-bytes`): a stream
    /// that fills socket buffers in few events, for back-pressure tests.
    case padded(MockCompletion, event: ByteBuffer)
    /// Plain Responses-API text, one event at a time (the bench's native Responses load).
    case responsesText(MockResponsesText)

    /// The event every piece of `completion` becomes: a content delta of `bytes` spaces.
    static func paddedEvent(_ completion: MockCompletion, bytes: Int) -> ByteBuffer {
        completion.contentEvent(String(repeating: " ", count: bytes))
    }

    func count(includeUsage: Bool) -> Int {
        switch self {
        case .completion(let completion), .padded(let completion, _): completion.streamEventCount + (includeUsage ? 2 : 1)
        case .rendered(let events): events.count
        case .responsesText(let text): text.eventCount
        }
    }

    /// Whether the chunk delay comes before event `index`: between the answer's events, not
    /// before the first nor before the closing ones (usage, `[DONE]`).
    func isDelayed(_ index: Int, includeUsage: Bool) -> Bool {
        switch self {
        case .completion(let completion), .padded(let completion, _): index > 0 && index < completion.streamEventCount
        case .rendered(let events): index > 0 && index < events.count - 1
        case .responsesText(let text): index > 4 && index < 4 + text.completion.chunks
        }
    }

    func event(_ index: Int, includeUsage: Bool) -> ByteBuffer {
        switch self {
        case .completion(let completion):
            if index < completion.streamEventCount { return completion.streamEvent(index, includeUsage: includeUsage) }
            return includeUsage && index == completion.streamEventCount ? completion.usageEvent() : MockCompletion.doneEvent
        case .rendered(let events):
            return events[index]
        case .responsesText(let text):
            return text.event(index)
        case .padded(let completion, let event):
            guard index > 0, index <= completion.chunks else { return Self.completion(completion).event(index, includeUsage: includeUsage) }
            return event
        }
    }
}
