/// The order an Anthropic Messages stream must keep, checked event by event:
/// `message_start`, then content blocks numbered 0, 1, 2... each opened, given deltas of its own
/// kind and closed before the next opens, then `message_delta`, then `message_stop`, then
/// nothing. `ping` may come anywhere after `message_start`.
public struct AnthropicStreamValidator: Sendable {
    private enum Phase { case before, inMessage, afterDelta, stopped }

    private var phase = Phase.before
    private var openBlock: (index: Int, block: AnthropicStreamEvent.Block)?
    private var nextIndex = 0

    public init() {}

    public mutating func check(_ event: AnthropicStreamEvent) throws(StreamViolation) {
        switch (self.phase, event) {
        case (.before, .messageStart):
            self.phase = .inMessage
        case (.before, _):
            throw StreamViolation("\(event.name) before message_start")
        case (.stopped, _):
            throw StreamViolation("\(event.name) after message_stop")
        case (_, .messageStart):
            throw StreamViolation("a second message_start")
        case (_, .ping):
            break
        case (.inMessage, .contentBlockStart(let index, let block)):
            if let open = self.openBlock { throw StreamViolation("block \(index) opened while block \(open.index) is open") }
            guard index == self.nextIndex else { throw StreamViolation("block \(index) opened where block \(self.nextIndex) was due") }
            self.openBlock = (index, block)
            self.nextIndex += 1
        case (.inMessage, .contentBlockDelta(let index, let delta)):
            guard let open = self.openBlock, open.index == index else {
                throw StreamViolation("a delta for block \(index), which is not open")
            }
            switch (open.block, delta) {
            case (.text, .text), (.thinking, .thinking), (.thinking, .signature), (.toolUse, .inputJSON): break
            default: throw StreamViolation("a delta of the wrong kind for block \(index)")
            }
        case (.inMessage, .contentBlockStop(let index)):
            guard let open = self.openBlock, open.index == index else { throw StreamViolation("block \(index) closed but not open") }
            self.openBlock = nil
        case (.inMessage, .messageDelta):
            if let open = self.openBlock { throw StreamViolation("message_delta while block \(open.index) is open") }
            self.phase = .afterDelta
        case (.afterDelta, .messageStop):
            self.phase = .stopped
        case (.inMessage, .messageStop):
            throw StreamViolation("message_stop before message_delta")
        case (.afterDelta, _):
            throw StreamViolation("\(event.name) after message_delta")
        }
    }

    public var isStopped: Bool { self.phase == .stopped }
}
