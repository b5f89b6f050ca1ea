import AsyncHTTPClient
import MockUpstream
import NIOCore
import NIOHTTP1
import ProxyEngine
import Testing

@testable import ProxyServer

@Suite(.timeLimit(.minutes(5))) struct ShutdownLiveTests {
    @Test func anInFlightStreamFinishesAfterShutdownStarts() async throws {
        try await LiveHarness.run(configure: { $0.providers[0].timeoutSeconds = 600 }) { harness in
            let request = harness.chatRequest(LiveHarness.body(stream: true), headers: [("x-mock-hold", "drain")])
            let response = try await harness.client.execute(request, timeout: .seconds(60))
            #expect(response.status == .ok)
            try await harness.mock.stats.wait { $0.active == 1 }
            await harness.shutDownGateway()
            harness.mock.gates.open("drain")
            let body = try await response.body.collect(upTo: 1024 * 1024)
            let transcript = try OpenAIStreamTranscript(String(buffer: body))
            #expect(transcript.sawDone)
            #expect(transcript.text == LiveHarness.expectedText(chunks: 8))
        }
    }
}
