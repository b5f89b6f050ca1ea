import NIOCore

/// The response a Responses stream ended with: `response.completed`'s (or `.incomplete`'s)
/// `response` object, found in the batch that holds the end. Read only where the gateway keeps
/// the answer of a stream it passes through.
public enum ResponsesStreamEnd {
    public static func response(in batch: SSEBatch) -> JSONValue? {
        for index in stride(from: batch.count - 1, through: 0, by: -1) {
            let event = SSEEvent(parsing: batch[index])
            guard event.hasData, let data = JSONValue(parsing: event.data) else { continue }
            let type = data["type"]?.stringValue
            if type == "response.completed" || type == "response.incomplete" { return data["response"] }
        }
        return nil
    }
}
