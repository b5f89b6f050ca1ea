import Foundation
import NIOCore
import Testing

@testable import ProxyEngine

/// The pump's decisions, without its I/O: what each batch becomes and what it means.
@Suite(.timeLimit(.minutes(5))) struct StreamRelayTests {
    static let scrubber = SecretScrubber(secrets: ["sk-upstream-secret-0123456789"])

    static func batch(_ text: String) -> SSEBatch { SSEBatch(framing: ByteBuffer(string: text)) }

    @Test func aPassedThroughStreamGoesOutAsReceivedAndItsEndIsSeen() {
        var relay = StreamRelay(
            format: .openAI, transform: .passThrough(stripsInjectedUsage: false), scrubber: Self.scrubber, keepsCompletedResponse: false)
        let first = #"data: {"choices":[{"index":0,"delta":{"content":"Hi"}}]}"# + "\n\n"
        let step = relay.relay(Self.batch(first))
        #expect(String(buffer: step.output) == first && !step.holdsEnd && !step.isFinished)
        let end = relay.relay(
            Self.batch(#"data: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2}}"# + "\n\ndata: [DONE]\n\n"))
        #expect(end.holdsEnd)
        #expect(relay.usage == TokenUsage(promptTokens: 3, completionTokens: 2))
        #expect(relay.answerBytes == first.utf8.count + end.output.readableBytes)
        #expect(relay.relay(nil).isFinished)
    }

    @Test func usageTheGatewayAskedForComesOutAgainButIsCounted() {
        var relay = StreamRelay(
            format: .openAI, transform: .passThrough(stripsInjectedUsage: true), scrubber: Self.scrubber, keepsCompletedResponse: false)
        let step = relay.relay(Self.batch(#"data: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2}}"# + "\n\n"))
        #expect(step.output.readableBytes == 0 && !step.isFinished)
        #expect(relay.usage == TokenUsage(promptTokens: 3, completionTokens: 2))
    }

    @Test func aProviderKeyInAnEventIsScrubbed() {
        var relay = StreamRelay(
            format: .openAI, transform: .passThrough(stripsInjectedUsage: false), scrubber: Self.scrubber, keepsCompletedResponse: false)
        let step = relay.relay(Self.batch(#"data: {"choices":[{"index":0,"delta":{"content":"sk-upstream-secret-0123456789"}}]}"# + "\n\n"))
        #expect(!String(buffer: step.output).contains("sk-upstream-secret"))
    }

    @Test func aTranslatedStreamThatEndsEarlyEndsInOneErrorEvent() {
        var relay = StreamRelay(
            format: .openAI, transform: .translate(AnthropicToOpenAIStream(model: "claude", created: 1, includeUsage: false)),
            scrubber: Self.scrubber, keepsCompletedResponse: false)
        let start =
            #"event: message_start"# + "\n"
            + #"data: {"type":"message_start","message":{"id":"m","model":"c","usage":{"input_tokens":3,"output_tokens":1}}}"# + "\n\n"
        #expect(!relay.relay(Self.batch(start)).isFinished)
        let end = relay.relay(nil)
        #expect(end.isFinished && end.holdsEnd && end.failure != nil)
        #expect(String(buffer: end.output).contains(#""error""#))
    }

    @Test func aTranslatedResponsesStreamHandsOverItsCompletedResponse() throws {
        var relay = StreamRelay(
            format: .responses, transform: .translate(ChatToResponsesStream(context: ResponsesRequestContext(), created: 1)),
            scrubber: Self.scrubber, keepsCompletedResponse: true)
        let chunks = [
            #"{"id":"c","choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"},"finish_reason":null}]}"#,
            #"{"id":"c","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#,
        ]
        let step = relay.relay(Self.batch(chunks.map { "data: \($0)\n\n" }.joined() + "data: [DONE]\n\n"))
        #expect(step.holdsEnd && step.isFinished && step.failure == nil)
        #expect(try #require(step.completedResponse)["status"] == .string("completed"))
    }

    // MARK: The cut at a reservation's output allowance

    /// `chunks` pieces of the mock's answer, in `format`, event by event, through a relay
    /// allowed `allowance` output tokens: the steps it took, up to the one that finished.
    static func relayed(format: APIFormat, chunks: Int, allowance: Int, translated: Bool = false) -> [StreamRelay.Step] {
        let request: JSONValue = .object(["model": .string("m"), "messages": .array([])])
        let upstream: APIFormat = translated ? .openAI : format
        let events = MockAnswer(request: request, format: upstream, chunks: chunks, created: 1, promptTokens: 7)
            .streamEvents(upstream, includeUsage: true)
        let transform: StreamRelay.Transform =
            translated
            ? .translate(ChatToResponsesStream(context: ResponsesRequestContext(), created: 1)) : .passThrough(stripsInjectedUsage: false)
        var relay = StreamRelay(
            format: format, transform: transform, scrubber: Self.scrubber, keepsCompletedResponse: false, outputAllowance: allowance,
            promptEstimate: 7)
        var steps: [StreamRelay.Step] = []
        for event in events {
            let step = relay.relay(SSEBatch(framing: event))
            steps.append(step)
            if step.isFinished { return steps }
        }
        steps.append(relay.relay(nil))
        return steps
    }

    @Test(arguments: [(APIFormat.openAI, false), (.anthropic, false), (.responses, true)])
    func anUpstreamThatIgnoresItsLimitIsCutCleanlyInTheCallersFormat(format: APIFormat, translated: Bool) throws {
        let steps = Self.relayed(format: format, chunks: 400, allowance: 20, translated: translated)
        let last = try #require(steps.last)
        #expect(last.isFinished && last.holdsEnd)
        #expect(last.failure?.isBudgetExceeded == true)
        // Well under the 400 pieces: cut at the allowance and its margin (`OutputMeter.cutAt`).
        #expect(steps.count < 60)
        let stream = steps.map { String(buffer: $0.output) }.joined()
        switch format {
        case .openAI: #expect(stream.hasSuffix(#""code":"budget_exceeded"}}"# + "\n\n"))
        case .anthropic: #expect(stream.contains("event: error\ndata: ") && stream.contains(#""code":"budget_exceeded""#))
        case .responses:
            // One end, the failure, and nothing after it.
            #expect(stream.components(separatedBy: "event: response.failed").count == 2)
            #expect(!stream.contains("response.completed"))
            let failure = try #require(stream.range(of: "event: response.failed"))
            #expect(!stream[failure.upperBound...].contains("event: "))
            #expect(stream.contains(#""code":"budget_exceeded""#))
        case .gemini: #expect(stream.contains(#""status":"RESOURCE_EXHAUSTED""#))
        }
    }

    @Test(arguments: [APIFormat.openAI, .anthropic])
    func anUpstreamThatKeepsToItsLimitIsNeverCut(format: APIFormat) throws {
        let steps = Self.relayed(format: format, chunks: 20, allowance: 20)
        #expect(steps.allSatisfy { $0.failure == nil })
        #expect(steps.contains { $0.holdsEnd })
    }

    /// A fast upstream's stream can arrive as one read burst, one batch: the events within the
    /// allowance still go out before the error, not the error alone.
    @Test func aBurstPastTheAllowanceKeepsItsEventsWithinIt() throws {
        let request: JSONValue = .object(["model": .string("m"), "messages": .array([])])
        var relay = StreamRelay(
            format: .openAI, transform: .passThrough(stripsInjectedUsage: false), scrubber: Self.scrubber, keepsCompletedResponse: false,
            outputAllowance: 4, promptEstimate: 9)
        var burst = ByteBuffer()
        for var event in MockAnswer(request: request, format: .openAI, chunks: 100, created: 1, promptTokens: 7)
            .streamEvents(.openAI, includeUsage: false)
        {
            burst.writeBuffer(&event)
        }
        let step = relay.relay(SSEBatch(framing: burst))
        #expect(step.isFinished && step.failure?.isBudgetExceeded == true)
        let events = String(buffer: step.output).components(separatedBy: "\n\n").filter { !$0.isEmpty }
        // The role chunk and the 20 one-token pieces up to the cut (`OutputMeter.cutAt`), then the error.
        #expect(events.count == 22, "\(events.count) events")
        #expect(events.first?.contains(#""role":"assistant""#) == true)
        #expect(events.last?.contains(#""code":"budget_exceeded""#) == true)
        #expect(relay.usage == TokenUsage(promptTokens: 9, completionTokens: 21))
    }

    /// An Anthropic stream's input count (`message_start`) and output count (`message_delta`,
    /// which compatible servers send without the input) arriving in one read burst are both kept.
    @Test func anAnthropicStreamInOneBurstKeepsItsInputAndOutputCounts() {
        var relay = StreamRelay(
            format: .anthropic, transform: .passThrough(stripsInjectedUsage: false), scrubber: Self.scrubber,
            keepsCompletedResponse: false)
        let burst = ByteBuffer(
            string: [
                #"event: message_start\#ndata: {"type":"message_start","message":{"id":"m","type":"message","role":"assistant","content":[],"usage":{"input_tokens":7,"output_tokens":1}}}"#,
                #"event: content_block_delta\#ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}"#,
                #"event: message_delta\#ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":5}}"#,
            ].map { $0 + "\n\n" }.joined())
        _ = relay.relay(SSEBatch(framing: burst))
        #expect(relay.usage == TokenUsage(promptTokens: 7, completionTokens: 5))
    }

    @Test func theUsageOfACutStreamIsWhatWasCounted() {
        let request: JSONValue = .object(["model": .string("m"), "messages": .array([])])
        var relay = StreamRelay(
            format: .openAI, transform: .passThrough(stripsInjectedUsage: false), scrubber: Self.scrubber, keepsCompletedResponse: false,
            outputAllowance: 4, promptEstimate: 9)
        let answer = MockAnswer(request: request, format: .openAI, chunks: 100, created: 1, promptTokens: 7)
        for event in answer.streamEvents(.openAI, includeUsage: false) where !relay.relay(SSEBatch(framing: event)).isFinished {}
        // Cut after 16 + 4 + 1 one-token pieces, before the upstream said anything of usage.
        #expect(relay.usage == TokenUsage(promptTokens: 9, completionTokens: 21))
    }
}
