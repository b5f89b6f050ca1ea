/// The order a Responses API stream must keep, checked event by event: `response.created`, then
/// `response.in_progress`, then output items one at a time (each `output_item.added` at the next
/// output index, its own parts and deltas, its `output_item.done`), then one end:
/// `response.completed` or `response.incomplete` with no item open. `response.failed` may end
/// the stream at any point after it began. Nothing follows the end.
public struct ResponsesStreamValidator: Sendable {
    private enum Phase: Sendable {
        case before
        case created
        case between(itemsDone: Int)
        case inItem(id: String, index: Int)
        case ended
    }

    private var phase = Phase.before

    public init() {}

    /// `item` is the id the event names (an item's own for `output_item.added/done`, `item_id`
    /// for the rest); `outputIndex` its `output_index`.
    public mutating func check(_ type: String, item: String?, outputIndex: Int?) throws(StreamViolation) {
        switch (self.phase, type) {
        case (.ended, _):
            throw StreamViolation("\(type) after the stream's end")
        case (.before, "response.created"):
            self.phase = .created
        case (.before, _):
            throw StreamViolation("\(type) before response.created")
        case (.created, "response.in_progress"):
            self.phase = .between(itemsDone: 0)
        case (.created, _):
            throw StreamViolation("\(type) where response.in_progress was due")
        case (_, "response.failed"):
            self.phase = .ended
        case (.between(let done), "response.output_item.added"):
            guard outputIndex == done, let item else {
                throw StreamViolation("an item added at output index \(outputIndex ?? -1) where \(done) was due")
            }
            self.phase = .inItem(id: item, index: done)
        case (.between, "response.completed"), (.between, "response.incomplete"):
            self.phase = .ended
        case (.between, _):
            throw StreamViolation("\(type) with no item open")
        case (.inItem(let id, let index), _):
            guard item == id, outputIndex == index else {
                throw StreamViolation("\(type) for item \(item ?? "-") while item \(id) is open")
            }
            switch type {
            case "response.output_item.done": self.phase = .between(itemsDone: index + 1)
            case "response.output_item.added", "response.completed", "response.incomplete", "response.created",
                "response.in_progress":
                throw StreamViolation("\(type) while item \(id) is open")
            default: break
            }
        }
    }

    /// The stream ended: completed, incomplete or failed.
    public var isEnded: Bool {
        if case .ended = self.phase { return true }
        return false
    }
}
