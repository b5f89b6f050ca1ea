import NIOCore
import ProxyEngine

/// The events of one mock stream, generated one at a time as they are sent.
enum MockEvents: Sendable {
    /// Plain OpenAI text: the fast generator the benchmark loads.
    case completion(MockCompletion)
    /// Reasoning, tools, or the Anthropic format.
    case answer(MockAnswer, format: APIFormat)

    func count(includeUsage: Bool) -> Int {
        switch self {
        case .completion(let completion): completion.streamEventCount + (includeUsage ? 2 : 1)
        case .answer(let answer, .openAI): answer.openAIChunks(includeUsage: includeUsage).count
        case .answer(let answer, .anthropic): answer.anthropicEvents().count
        }
    }

    /// Whether the chunk delay comes before event `index`: between the answer's events, not
    /// before the first nor before the closing ones (usage, `[DONE]`).
    func isDelayed(_ index: Int, includeUsage: Bool) -> Bool {
        switch self {
        case .completion(let completion): index > 0 && index < completion.streamEventCount
        case .answer: index > 0 && index < self.count(includeUsage: includeUsage) - 1
        }
    }

    func event(_ index: Int, includeUsage: Bool) -> ByteBuffer {
        var buffer = ByteBuffer()
        switch self {
        case .completion(let completion):
            if index < completion.streamEventCount { return completion.streamEvent(index, includeUsage: includeUsage) }
            return includeUsage && index == completion.streamEventCount ? completion.usageEvent() : MockCompletion.doneEvent
        case .answer(let answer, .openAI):
            answer.openAIChunks(includeUsage: includeUsage)[index].write(into: &buffer, header: answer.openAIHeader)
        case .answer(let answer, .anthropic):
            answer.anthropicEvents()[index].write(into: &buffer)
        }
        return buffer
    }
}
