import Testing

@testable import ProxyEngine

@Suite(.timeLimit(.minutes(5))) struct StreamValidatorTests {
    typealias E = AnthropicStreamEvent
    static let start = E.messageStart(id: "m", model: "c", usage: .init())
    static let end: [E] = [.messageDelta(stopReason: "end_turn", usage: .init()), .messageStop]

    @Test func aWellFormedMessagesStreamPasses() throws {
        var validator = AnthropicStreamValidator()
        let events: [E] =
            [
                Self.start, .ping, .contentBlockStart(index: 0, block: .thinking), .contentBlockDelta(index: 0, delta: .thinking("a")),
                .contentBlockDelta(index: 0, delta: .signature("s")), .contentBlockStop(index: 0),
                .contentBlockStart(index: 1, block: .text),
                .ping, .contentBlockDelta(index: 1, delta: .text("b")), .contentBlockStop(index: 1),
                .contentBlockStart(index: 2, block: .toolUse(id: "t", name: "n")), .contentBlockDelta(index: 2, delta: .inputJSON("{}")),
                .contentBlockStop(index: 2),
            ] + Self.end
        for event in events { try validator.check(event) }
        #expect(validator.isStopped)
    }

    @Test(arguments: [
        ([E.ping], "before message_start"),
        ([Self.start, Self.start], "second message_start"),
        ([Self.start, .contentBlockStart(index: 1, block: .text)], "block 0 was due"),
        ([Self.start, .contentBlockStart(index: 0, block: .text), .contentBlockStart(index: 1, block: .text)], "while block 0 is open"),
        ([Self.start, .contentBlockStart(index: 0, block: .text), .contentBlockDelta(index: 0, delta: .inputJSON("{"))], "wrong kind"),
        ([Self.start, .contentBlockDelta(index: 0, delta: .text("x"))], "not open"),
        ([Self.start, .contentBlockStop(index: 0)], "closed but not open"),
        ([Self.start, .contentBlockStart(index: 0, block: .text), .messageDelta(stopReason: "end_turn", usage: .init())], "is open"),
        ([Self.start, .messageStop], "before message_delta"),
        ([Self.start] + Self.end + [E.ping], "after message_stop"),
        (
            [Self.start, .messageDelta(stopReason: "end_turn", usage: .init()), .contentBlockStart(index: 0, block: .text)],
            "after message_delta"
        ),
    ])
    func outOfOrderMessagesEventsAreCaught(events: [E], expected: String) {
        var validator = AnthropicStreamValidator()
        do {
            for event in events { try validator.check(event) }
            Issue.record("accepted \(events)")
        } catch {
            #expect(error.reason.contains(expected), "\(error.reason)")
        }
    }

    typealias C = OpenAIStreamChunk

    @Test(arguments: [
        ([C.content("x")], "before the role"),
        ([C.role, .role], "second role"),
        ([C.role, .toolCallStart(index: 1, id: "a", name: "n")], "1 started where 0 was due"),
        ([C.role, .toolCallArguments(index: 0, "{")], "never started"),
        ([C.role, .done], "before a finish"),
        ([C.role, .usage(.init())], "usage before"),
        ([C.role, .finish(reason: "stop"), .content("x")], "after the finish"),
        ([C.role, .finish(reason: "stop"), .done, .done], "after [DONE]"),
    ])
    func outOfOrderChatChunksAreCaught(chunks: [C], expected: String) {
        var validator = OpenAIStreamValidator()
        do {
            for chunk in chunks { try validator.check(chunk) }
            Issue.record("accepted \(chunks)")
        } catch {
            #expect(error.reason.contains(expected), "\(error.reason)")
        }
    }

    struct R: Sendable, CustomStringConvertible {
        var type: String
        var item: String? = nil
        var index: Int? = nil
        var description: String { self.type }
        static func added(_ item: String, _ index: Int) -> R { R(type: "response.output_item.added", item: item, index: index) }
        static let completed = R(type: "response.completed")
        static let failed = R(type: "response.failed")
    }
    static let opening: [R] = [R(type: "response.created"), R(type: "response.in_progress")]
    static let message: [R] = [
        .added("m", 0), R(type: "response.content_part.added", item: "m", index: 0),
        R(type: "response.output_text.delta", item: "m", index: 0), R(type: "response.output_text.done", item: "m", index: 0),
        R(type: "response.content_part.done", item: "m", index: 0), R(type: "response.output_item.done", item: "m", index: 0),
    ]
    static let messageStarted: [R] = opening + Array(message.prefix(2))
    static let outOfOrder: [([R], String)] = [
        ([R(type: "response.in_progress")], "before response.created"),
        ([R(type: "response.created"), .added("m", 0)], "response.in_progress was due"),
        (opening + [.added("m", 1)], "output index 1 where 0 was due"),
        (opening + [R(type: "response.output_text.delta", item: "m", index: 0)], "no item open"),
        (messageStarted + [R(type: "response.output_text.delta", item: "other", index: 0)], "while item m is open"),
        (messageStarted + [.completed], "while item m is open"),
        (opening + message + [.added("n", 0)], "where 1 was due"),
        (opening + [.completed, R(type: "response.in_progress")], "after the stream's end"),
        (opening + [.failed, .failed], "after the stream's end"),
    ]

    @Test func aWellFormedResponsesStreamPasses() throws {
        var validator = ResponsesStreamValidator()
        let call: [R] = [
            .added("f", 1), R(type: "response.function_call_arguments.delta", item: "f", index: 1),
            R(type: "response.function_call_arguments.done", item: "f", index: 1),
            R(type: "response.output_item.done", item: "f", index: 1),
        ]
        for event in Self.opening + Self.message + call + [.completed] {
            try validator.check(event.type, item: event.item, outputIndex: event.index)
        }
        #expect(validator.isEnded)
    }

    @Test(arguments: Self.outOfOrder)
    func outOfOrderResponsesEventsAreCaught(events: [R], expected: String) {
        var validator = ResponsesStreamValidator()
        do {
            for event in events { try validator.check(event.type, item: event.item, outputIndex: event.index) }
            Issue.record("accepted \(events)")
        } catch {
            #expect(error.reason.contains(expected), "\(error.reason)")
        }
    }

    @Test func aResponsesStreamMayFailWithAnItemOpen() throws {
        var validator = ResponsesStreamValidator()
        for event in Self.opening + Array(Self.message.prefix(3)) + [.failed] {
            try validator.check(event.type, item: event.item, outputIndex: event.index)
        }
        #expect(validator.isEnded)
    }
}
