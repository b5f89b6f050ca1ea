import NIOCore
import Testing

@testable import ProxyEngine

/// Recorded shapes of real OpenAI streams (content, tool-call argument deltas, the usage chunk,
/// `[DONE]`), in each line-ending style the SSE spec allows, plus comments and multi-line data.
enum RecordedStreams {
    static let openAIText = """
        data: {"id":"chatcmpl-A1","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o-mini","system_fingerprint":"fp_1","choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}]}

        data: {"id":"chatcmpl-A1","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o-mini","system_fingerprint":"fp_1","choices":[{"index":0,"delta":{"content":"Hello"},"logprobs":null,"finish_reason":null}]}

        data: {"id":"chatcmpl-A1","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o-mini","system_fingerprint":"fp_1","choices":[{"index":0,"delta":{"content":" wörld ✓"},"logprobs":null,"finish_reason":null}]}

        data: {"id":"chatcmpl-A1","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o-mini","system_fingerprint":"fp_1","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]}

        data: {"id":"chatcmpl-A1","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o-mini","system_fingerprint":"fp_1","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":3,"total_tokens":12}}

        data: [DONE]


        """

    static let openAIToolCall = """
        data: {"id":"chatcmpl-B2","object":"chat.completion.chunk","created":1700000001,"model":"gpt-4o","choices":[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_abc","type":"function","function":{"name":"get_weather","arguments":""}}]},"finish_reason":null}]}

        data: {"id":"chatcmpl-B2","object":"chat.completion.chunk","created":1700000001,"model":"gpt-4o","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\\"city\\":"}}]},"finish_reason":null}]}

        data: {"id":"chatcmpl-B2","object":"chat.completion.chunk","created":1700000001,"model":"gpt-4o","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\\"Paris\\"}"}}]},"finish_reason":null}]}

        data: {"id":"chatcmpl-B2","object":"chat.completion.chunk","created":1700000001,"model":"gpt-4o","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}

        data: [DONE]


        """

    static let withCommentsAndMultilineData =
        ": keep-alive\n\nevent: ping\ndata: {}\n\nid: 7\ndata: first line\ndata: second line\nretry: 1000\n\n"

    static let lf: [String] = [openAIText, openAIToolCall, withCommentsAndMultilineData]
    static let crlf: [String] = lf.map { $0.replacingNewlines(with: "\r\n") }
    static let cr: [String] = lf.map { $0.replacingNewlines(with: "\r") }
    static let all: [String] = lf + crlf + cr
}

extension String {
    func replacingNewlines(with separator: String) -> String {
        self.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: separator)
    }
}

/// Frames `input` fed in the given pieces; returns each event handed out, as bytes.
func frame(_ pieces: [ByteBuffer], oneAtATime: Bool = false) throws -> (events: [ByteBuffer], unfinished: Int) {
    var framer = SSEFramer()
    var events: [ByteBuffer] = []
    for piece in pieces {
        try framer.append(piece)
        if oneAtATime {
            while let event = framer.nextEvent() { events.append(event) }
        } else if let batch = framer.nextEvents() {
            events.append(batch)
        }
    }
    return (events, framer.unfinishedBytes)
}

func parsedEvents(_ bytes: [ByteBuffer]) -> [SSEEvent] {
    var whole = ByteBuffer()
    for var piece in bytes { whole.writeBuffer(&piece) }
    var framer = SSEFramer()
    try! framer.append(whole)
    var events: [SSEEvent] = []
    while let event = framer.nextEvent() {
        let parsed = SSEEvent(parsing: event)
        if parsed.hasData || parsed.event != nil { events.append(parsed) }
    }
    return events
}

@Suite(.timeLimit(.minutes(5))) struct SSEFramerTests {
    @Test(arguments: RecordedStreams.all)
    func everySplitPointForwardsTheSameBytesAndEvents(stream: String) throws {
        let whole = ByteBuffer(string: stream)
        let reference = parsedEvents(try frame([whole]).events)
        #expect(!reference.isEmpty)
        for split in 0...whole.readableBytes {
            let pieces = [
                whole.getSlice(at: 0, length: split)!,
                whole.getSlice(at: split, length: whole.readableBytes - split)!,
            ]
            for oneAtATime in [false, true] {
                let (events, unfinished) = try frame(pieces, oneAtATime: oneAtATime)
                var forwarded = ByteBuffer()
                for var event in events { forwarded.writeBuffer(&event) }
                #expect(forwarded == whole, "split at \(split): bytes differ")
                #expect(unfinished == 0)
                #expect(parsedEvents(events) == reference, "split at \(split): events differ")
            }
        }
    }

    @Test(arguments: RecordedStreams.all)
    func byteAtATimeGivesTheSameEvents(stream: String) throws {
        let whole = ByteBuffer(string: stream)
        let pieces = (0..<whole.readableBytes).map { whole.getSlice(at: $0, length: 1)! }
        let (events, unfinished) = try frame(pieces, oneAtATime: true)
        #expect(unfinished == 0)
        #expect(parsedEvents(events) == parsedEvents([whole]))
    }

    @Test func eventsAreDecodedPerTheSpec() throws {
        let events = parsedEvents([ByteBuffer(string: RecordedStreams.withCommentsAndMultilineData)])
        #expect(events == [SSEEvent(event: "ping", data: "{}"), SSEEvent(data: "first line\nsecond line")])
        let toolCall = parsedEvents([ByteBuffer(string: RecordedStreams.openAIToolCall)])
        #expect(toolCall.count == 5)
        #expect(toolCall.last?.data == "[DONE]")
    }

    @Test func anEventIsNotHandedOutBeforeItsBlankLine() throws {
        var framer = SSEFramer()
        try framer.append(ByteBuffer(string: "data: {\"a\":1}\n"))
        #expect(framer.nextEvents() == nil)
        #expect(framer.unfinishedBytes == 14)
        try framer.append(ByteBuffer(string: "\ndata: x"))
        #expect(framer.nextEvents() == ByteBuffer(string: "data: {\"a\":1}\n\n"))
        #expect(framer.unfinishedBytes == 7)
    }

    @Test func anOversizedEventIsRefused() {
        var framer = SSEFramer(maximumEventBytes: 16)
        #expect(throws: SSEFramer.EventTooLarge.self) {
            try framer.append(ByteBuffer(string: "data: 0123456789abcdef"))
        }
    }

    @Test func aStreamCutMidEventIsReportedTruncated() async throws {
        let chunks = AsyncThrowingStream<ByteBuffer, any Error> { continuation in
            continuation.yield(ByteBuffer(string: "data: one\n\ndata: tw"))
            continuation.finish()
        }
        var iterator = SSEEventBatches(chunks).makeAsyncIterator()
        #expect(try await iterator.next()?.bytes == ByteBuffer(string: "data: one\n\n"))
        await #expect(throws: SSEEventBatches<AsyncThrowingStream<ByteBuffer, any Error>>.Truncated.self) {
            _ = try await iterator.next()
        }
    }

    /// The framer finds each event's end once; a batch hands them out without another scan.
    @Test(arguments: [1, 3, 31, 32, 33, 100])
    func aBatchKnowsWhereEachOfItsEventsEnds(events count: Int) throws {
        let events = (0..<count).map { "data: {\"n\":\($0)}\r\n\r\n" }
        var framer = SSEFramer()
        #expect(framer.nextBatch() == nil)
        try framer.append(ByteBuffer(string: events.joined()))
        let next = framer.nextBatch()
        let batch = try #require(next)
        #expect(batch.count == count)
        #expect(batch.events.map { String(buffer: $0) } == events)
        #expect(framer.nextBatch() == nil)
    }

    @Test func aCRLFSplitBetweenItsCRAndLFEndsTheEventAtTheCR() throws {
        var framer = SSEFramer()
        try framer.append(ByteBuffer(string: "data: a\r\r"))
        let first = framer.nextBatch()
        #expect(first?.events.map { String(buffer: $0) } == ["data: a\r\r"])
        try framer.append(ByteBuffer(string: "\ndata: b\n\n"))
        let next = framer.nextBatch()
        let batch = try #require(next)
        #expect(batch.events.map { String(buffer: $0) } == ["\n", "data: b\n\n"])
        #expect(framer.unfinishedBytes == 0)
    }
}
