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
}
