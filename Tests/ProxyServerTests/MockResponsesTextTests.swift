import NIOCore
import ProxyEngine
import Testing

@testable import MockUpstream

/// The bench's fast Responses stream says exactly what the adapter-rendered one says, ids aside:
/// a native route is loaded with the events a translated one writes.
@Suite(.timeLimit(.minutes(5))) struct MockResponsesTextTests {
    /// Every id made anew per answer, blanked.
    static func normalised(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let object):
            var copy = JSONObject()
            for (key, member) in object.members {
                copy[key] = ["id", "item_id"].contains(key) ? .string("id") : Self.normalised(member)
            }
            return .object(copy)
        case .array(let items): return .array(items.map(Self.normalised))
        default: return value
        }
    }

    static func events(_ buffers: [ByteBuffer]) -> [JSONValue] {
        var all = ByteBuffer()
        for var buffer in buffers { all.writeBuffer(&buffer) }
        let batch = SSEBatch(framing: all)
        return (0..<batch.count).map { Self.normalised(JSONValue(parsing: SSEEvent(parsing: batch[$0]).data) ?? .null) }
    }

    @Test func theFastStreamMatchesTheRenderedOne() throws {
        let completion = MockCompletion(id: "", model: "native-bench", created: 7, chunks: 5, promptTokens: 12)
        let fast = MockResponsesText(completion: completion)
        let request = JSONValue(parsing: #"{"model":"native-bench","input":"hi","stream":true}"#)!
        let rendered = try MockResponses.streamEvents(to: request, chunks: 5, created: 7, promptTokens: 12)
        let fastEvents = Self.events((0..<fast.eventCount).map(fast.event))
        let renderedEvents = Self.events(rendered)
        #expect(fastEvents.count == renderedEvents.count)
        for (fastEvent, renderedEvent) in zip(fastEvents, renderedEvents) {
            #expect(fastEvent == renderedEvent)
        }
    }
}
