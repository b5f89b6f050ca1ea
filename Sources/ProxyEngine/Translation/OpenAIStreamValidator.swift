/// The order an OpenAI Chat Completions stream must keep, checked chunk by chunk: the role
/// first, then content, reasoning and tool calls (numbered 0, 1, 2..., each named once, its
/// arguments following it), then one finish, then at most the usage chunk, then `[DONE]`.
public struct OpenAIStreamValidator: Sendable {
    private enum Phase { case before, inMessage, finished, done }

    private var phase = Phase.before
    private var toolCalls = 0

    public init() {}

    public mutating func check(_ chunk: OpenAIStreamChunk) throws(StreamViolation) {
        switch (self.phase, chunk) {
        case (.before, .role):
            self.phase = .inMessage
        case (.before, _):
            throw StreamViolation("a chunk before the role")
        case (.done, _):
            throw StreamViolation("a chunk after [DONE]")
        case (_, .role):
            throw StreamViolation("a second role chunk")
        case (.inMessage, .content), (.inMessage, .reasoning), (.inMessage, .reasoningSignature):
            break
        case (.inMessage, .toolCallStart(let index, _, _)):
            guard index == self.toolCalls else { throw StreamViolation("tool call \(index) started where \(self.toolCalls) was due") }
            self.toolCalls += 1
        case (.inMessage, .toolCallArguments(let index, _)):
            guard index < self.toolCalls else { throw StreamViolation("arguments for tool call \(index), which was never started") }
        case (.inMessage, .finish):
            self.phase = .finished
        case (.finished, .usage):
            break
        case (.inMessage, .usage):
            throw StreamViolation("usage before the finish reason")
        case (.finished, .done):
            self.phase = .done
        case (.inMessage, .done):
            throw StreamViolation("[DONE] before a finish reason")
        case (.finished, _):
            throw StreamViolation("a delta after the finish reason")
        }
    }
}
