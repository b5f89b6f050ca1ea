import Foundation
import NIOCore
import ProxyEngine
import Testing

@testable import ProxyServer

/// A stream whose upstream falls silent (a thinking model) gets its format's keep-alive, between
/// whole events, and nothing else changes.
@Suite(.timeLimit(.minutes(5))) struct KeepAliveLiveTests {
    /// Gaps of 1.5 s between the mock's events, keep-alives due after at most 0.2 s of silence:
    /// several fall in each gap however loaded the machine.
    static let configure: @Sendable (inout GatewayConfig) -> Void = { $0.server.streamKeepaliveSeconds = 0.2 }
    static let silentGaps = [("x-mock-chunks", "2"), ("x-mock-chunk-delay-ms", "1500")]

    /// The events of a body, raw, in order (comments included: `SSEEvent` keeps no comment).
    static func rawEvents(_ body: String) -> [String] {
        body.components(separatedBy: "\n\n").filter { !$0.isEmpty }
    }

    @Test func aChatStreamGetsCommentsInItsSilences() async throws {
        try await LiveHarness.run(configure: Self.configure) { harness in
            let response = try await harness.send(harness.chatRequest(LiveHarness.body(stream: true), headers: Self.silentGaps))
            let events = Self.rawEvents(response.body)
            #expect(events.contains(": keep-alive"), "\(events)")
            #expect(events.allSatisfy { $0 == ": keep-alive" || $0.hasPrefix("data: ") }, "a keep-alive only between whole events")
            let transcript = try OpenAIStreamTranscript(response.body)
            #expect(transcript.sawDone && transcript.text == LiveHarness.expectedText(chunks: 2))
        }
    }

    @Test func aMessagesStreamGetsPingsOnlyAfterItsStart() async throws {
        try await LiveHarness.run(configure: Self.configure) { harness in
            let body = #"{"model":"gpt-4o-mini","max_tokens":16,"stream":true,"messages":[{"role":"user","content":"hi"}]}"#
            let response = try await harness.send(harness.chatRequest(body, path: "/v1/messages", headers: Self.silentGaps))
            let events = Self.rawEvents(response.body)
            let pings = events.indices.filter { events[$0] == "event: ping\ndata: {\"type\": \"ping\"}" }
            #expect(!pings.isEmpty, "\(events)")
            let start = try #require(events.firstIndex { $0.hasPrefix("event: message_start") })
            #expect(pings.allSatisfy { $0 > start })
            #expect(events.last?.hasPrefix("event: message_stop") == true)
        }
    }

    @Test func aResponsesStreamGetsCommentsAndStaysInSequence() async throws {
        try await LiveHarness.run(configure: Self.configure) { harness in
            let body = #"{"model":"gpt-4o-mini","stream":true,"input":"hi"}"#
            let response = try await harness.send(harness.chatRequest(body, path: "/v1/responses", headers: Self.silentGaps))
            let events = Self.rawEvents(response.body)
            #expect(events.contains(": keep-alive"), "\(events)")
            #expect(events.last?.hasPrefix("event: response.completed") == true)
        }
    }

    /// google-genai reads every line that is not `data:` as JSON: a Gemini stream's silences
    /// stay silent, as Google's own are.
    @Test func aGeminiStreamGetsNoKeepAlive() async throws {
        try await LiveHarness.run(configure: { config in
            GeminiLiveTests.withGemini(&config)
            Self.configure(&config)
        }) { harness in
            let response = try await harness.send(
                harness.chatRequest(
                    #"{"contents":[{"parts":[{"text":"Hi"}]}]}"#, path: "/v1beta/models/gpt-4o-mini:streamGenerateContent?alt=sse",
                    headers: Self.silentGaps))
            #expect(response.status == 200)
            let events = Self.rawEvents(response.body.replacingOccurrences(of: "\r\n", with: "\n"))
            #expect(!events.isEmpty && events.allSatisfy { $0.hasPrefix("data: ") }, "\(events)")
        }
    }

    @Test func noKeepAliveWhenTheyAreOff() async throws {
        try await LiveHarness.run(configure: { $0.server.streamKeepaliveSeconds = 0 }) { harness in
            let response = try await harness.send(
                harness.chatRequest(LiveHarness.body(stream: true), headers: [("x-mock-chunks", "2"), ("x-mock-chunk-delay-ms", "300")]))
            #expect(!response.body.contains("keep-alive"))
        }
    }
}
