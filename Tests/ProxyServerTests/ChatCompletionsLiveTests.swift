import AsyncHTTPClient
import Foundation
import MockUpstream
import NIOCore
import NIOHTTP1
import ProxyEngine
import Testing

@testable import ProxyServer

@Suite(.timeLimit(.minutes(5))) struct ChatCompletionsLiveTests {
    @Test func nonStreamingPassesThroughWithTheUpstreamKeyInjected() async throws {
        try await LiveHarness.run { harness in
            let response = try await harness.send(
                harness.chatRequest(
                    LiveHarness.body(),
                    headers: [
                        ("authorization", "Bearer \(LiveHarness.token())"),
                        ("x-api-key", "client-key-must-not-leave"),
                        ("connection", "keep-alive, x-hop"), ("x-hop", "1"),
                        ("openai-organization", "org-1"), ("x-request-id", "client-req-1"),
                    ]
                )
            )
            #expect(response.status == 200)
            #expect(response.headers.first(name: "x-request-id") == "client-req-1")
            let object = try #require(try JSONTestObject.parse(response.body))
            let message = ((object["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any])
            #expect(message?["content"] as? String == LiveHarness.expectedText(chunks: 8))
            let seen = harness.mock.stats.snapshot
            #expect(seen.lastAuthorization == "Bearer \(LiveHarness.upstreamKey)")
            #expect(!seen.lastHeaderNames.contains("x-api-key"))
            #expect(!seen.lastHeaderNames.contains("x-hop"))
            #expect(!seen.lastHeaderNames.contains("x-request-id"))
            // Allowlists both ways: the caller cannot pick the owner's billed organisation, and
            // the owner's organisation and rate-limit state do not reach the caller.
            #expect(!seen.lastHeaderNames.contains("openai-organization"))
            #expect(response.headers.first(name: "openai-organization") == nil)
            #expect(response.headers.first(name: "anthropic-organization-id") == nil)
            #expect(response.headers.first(name: "x-ratelimit-remaining-requests") == nil)
            #expect(response.headers.first(name: "openai-version") == "2020-10-01")
        }
    }

    @Test func anAliasIsRewrittenUpstreamAndNothingElseChanges() async throws {
        try await LiveHarness.run { harness in
            let body = #"{"model":"gpt-4o","temperature":0.70,"messages":[{"role":"user","content":"hello"}]}"#
            let response = try await harness.send(harness.chatRequest(body))
            #expect(response.status == 200)
            #expect(
                harness.mock.stats.snapshot.lastBody
                    == #"{"model":"gpt-4o-mini","temperature":0.70,"messages":[{"role":"user","content":"hello"}]}"#)
        }
    }

    /// A body of many reads (2 MB, past the collect buffer's first size, and regrown) and an
    /// aliased model: every byte reaches the upstream in order, the model spliced where it was.
    @Test func aBigAliasedBodyArrivesWhole() async throws {
        try await LiveHarness.run(configure: { $0.server.maxBodyBytes = 4 * 1024 * 1024 }) { harness in
            let content = String(repeating: #"line \"quoted\" é ✓\n"#, count: 90_000)
            let body = #"{"messages":[{"role":"user","content":"\#(content)"}],"model":"gpt-4o","temperature":0.70}"#
            #expect(body.utf8.count > 2_000_000)
            let response = try await harness.send(harness.chatRequest(body))
            #expect(response.status == 200)
            let expected = body.replacingOccurrences(of: #""model":"gpt-4o""#, with: #""model":"gpt-4o-mini""#)
            let arrivedWhole = harness.mock.stats.snapshot.lastBody == expected
            #expect(arrivedWhole)
        }
    }

    @Test func aRequestIDIsGeneratedWhenTheClientSendsNone() async throws {
        try await LiveHarness.run { harness in
            let first = try await harness.send(harness.chatRequest(LiveHarness.body()))
            let second = try await harness.send(harness.chatRequest(LiveHarness.body(), headers: [("x-request-id", "bad id {forged}")]))
            let firstID = try #require(first.headers.first(name: "x-request-id"))
            let secondID = try #require(second.headers.first(name: "x-request-id"))
            #expect(firstID.hasPrefix("req_"))
            #expect(secondID.hasPrefix("req_"))
            #expect(firstID != secondID)
        }
    }

    @Test func streamingDeliversEveryChunkIntact() async throws {
        try await LiveHarness.run { harness in
            let response = try await harness.send(harness.chatRequest(LiveHarness.body(stream: true), headers: [("x-mock-chunks", "20")]))
            #expect(response.status == 200)
            #expect(response.headers.first(name: "content-type") == "text/event-stream")
            let transcript = try OpenAIStreamTranscript(response.body)
            #expect(transcript.text == LiveHarness.expectedText(chunks: 20))
            #expect(transcript.sawDone)
            #expect(transcript.errors.isEmpty)
        }
    }

    @Test func theFirstChunkReachesTheClientWhileTheUpstreamIsStillHeld() async throws {
        try await LiveHarness.run { harness in
            let request = harness.chatRequest(LiveHarness.body(stream: true), headers: [("x-mock-hold", "first-chunk")])
            let response = try await harness.client.execute(request, timeout: .seconds(30))
            var iterator = response.body.makeAsyncIterator()
            var received = ByteBuffer()
            var framer = SSEFramer()
            // The mock sends one event, then waits at the gate until this test opens it.
            while framer.nextEvent() == nil {
                var chunk = try #require(try await iterator.next())
                try framer.append(chunk)
                received.writeBuffer(&chunk)
            }
            #expect(harness.mock.stats.snapshot.streamsCompleted == 0)
            #expect(harness.mock.stats.snapshot.active == 1)
            harness.mock.gates.open("first-chunk")
            while var chunk = try await iterator.next() { received.writeBuffer(&chunk) }
            let transcript = try OpenAIStreamTranscript(String(buffer: received))
            #expect(transcript.text == LiveHarness.expectedText(chunks: 8))
            #expect(transcript.sawDone)
        }
    }

    /// The deadline is far beyond the test's time limit: only noticing the hang-up can end it.
    @Test(.timeLimit(.minutes(5))) func aClientThatHangsUpMidStreamCancelsTheUpstream() async throws {
        try await LiveHarness.run(configure: { $0.providers[0].timeoutSeconds = 600 }) { harness in
            let request = harness.chatRequest(LiveHarness.body(stream: true), headers: [("x-mock-hold", "never-opened")])
            let reader = Task {
                let response = try await harness.client.execute(request, timeout: .seconds(30))
                for try await _ in response.body {}
            }
            try await harness.mock.stats.wait { $0.active == 1 }
            reader.cancel()
            _ = await reader.result
            // The upstream stream is still held at its gate: only the gateway cancelling it ends it.
            try await harness.mock.stats.wait { $0.streamsCancelled == 1 }
            #expect(harness.mock.stats.snapshot.streamsCompleted == 0)
        }
    }

    @Test func aStalledUpstreamIs504() async throws {
        try await LiveHarness.run(configure: { $0.providers[0].timeoutSeconds = 2 }) { harness in
            let response = try await harness.send(harness.chatRequest(LiveHarness.body(), headers: [("x-mock-fault", "stall")]))
            #expect(response.status == 504)
            let error = try #require(try JSONTestObject.parse(response.body)?["error"] as? [String: Any])
            #expect(error["code"] as? String == "upstream_timeout")
            try await harness.mock.stats.wait { $0.requests == 1 }
        }
    }

    @Test func aStreamThatStallsAfterItsFirstEventEndsWithATimeoutEvent() async throws {
        // The deadline must fall after the stream's head: 6 s, where a run of the whole suite on
        // two loaded cores once took more than 2 s to get the head (and answered 504).
        try await LiveHarness.run(configure: { $0.providers[0].timeoutSeconds = 6 }) { harness in
            let response = try await harness.send(
                harness.chatRequest(LiveHarness.body(stream: true), headers: [("x-mock-fault", "stall-stream")]))
            #expect(response.status == 200)
            let transcript = try OpenAIStreamTranscript(response.body)
            #expect(transcript.errors == ["upstream_timeout"])
            #expect(!transcript.sawDone)
            try await harness.mock.stats.wait { $0.streamsCancelled == 1 }
        }
    }

    @Test func anUpstreamResetMidStreamEndsWithAnErrorEvent() async throws {
        try await LiveHarness.run { harness in
            let response = try await harness.send(harness.chatRequest(LiveHarness.body(stream: true), headers: [("x-mock-fault", "reset")]))
            #expect(response.status == 200)
            let transcript = try OpenAIStreamTranscript(response.body)
            #expect(transcript.errors == ["upstream_error"])
            #expect(!transcript.sawDone)
        }
    }

    @Test func fiftyConcurrentStreamsAllCompleteIntact() async throws {
        // A deadline far above what 50 streams take, even on a loaded machine: this is about
        // integrity, not speed.
        try await LiveHarness.run(configure: { $0.providers[0].timeoutSeconds = 120 }) { harness in
            try await withThrowingTaskGroup(of: OpenAIStreamTranscript.self) { group in
                for _ in 0..<50 {
                    group.addTask {
                        let response = try await harness.send(
                            harness.chatRequest(
                                LiveHarness.body(stream: true), headers: [("x-mock-chunks", "30"), ("x-mock-chunk-delay-ms", "2")])
                        )
                        #expect(response.status == 200)
                        return try OpenAIStreamTranscript(response.body)
                    }
                }
                var completed = 0
                for try await transcript in group {
                    #expect(transcript.text == LiveHarness.expectedText(chunks: 30))
                    #expect(transcript.sawDone)
                    #expect(transcript.errors.isEmpty)
                    completed += 1
                }
                #expect(completed == 50)
            }
            // Counted by the mock after its last write, which the client may read first.
            try await harness.mock.stats.wait { $0.streamsCompleted == 50 }
        }
    }
}

@Suite(.timeLimit(.minutes(5))) struct ErrorLiveTests {
    func errorCode(_ body: String) throws -> String? {
        (try JSONTestObject.parse(body)?["error"] as? [String: Any])?["code"] as? String
    }

    @Test func malformedJSONIs400() async throws {
        try await LiveHarness.run { harness in
            let response = try await harness.send(harness.chatRequest(#"{"model":"gpt-4o","#))
            #expect(response.status == 400)
            #expect(try self.errorCode(response.body) == "invalid_request")
            #expect(harness.mock.stats.snapshot.requests == 0)
        }
    }

    @Test func missingMessagesIs400NamingTheField() async throws {
        try await LiveHarness.run { harness in
            let response = try await harness.send(harness.chatRequest(#"{"model":"gpt-4o"}"#))
            #expect(response.status == 400)
            #expect(response.body.contains("'messages'"))
        }
    }

    @Test func anUnknownModelIs404() async throws {
        try await LiveHarness.run { harness in
            let response = try await harness.send(harness.chatRequest(LiveHarness.body(model: "llama-3")))
            #expect(response.status == 404)
            #expect(try self.errorCode(response.body) == "model_not_found")
        }
    }

    @Test func aBodyOverTheLimitIs413() async throws {
        try await LiveHarness.run { harness in
            let padding = String(repeating: "x", count: 70 * 1024)
            let response = try await harness.send(
                harness.chatRequest(#"{"model":"gpt-4o","messages":[{"role":"user","content":"\#(padding)"}]}"#))
            #expect(response.status == 413)
            #expect(try self.errorCode(response.body) == "request_too_large")
        }
    }

    /// With one account there is no other to fail over to: the upstream's answer is relayed.
    /// (Each fault takes the account out of rotation in its own way, so each gets a gateway.)
    @Test(arguments: [("401-echo", 401), ("429", 429), ("500", 500)])
    func anUpstreamErrorIsRelayedWithItsStatusAndTheKeyScrubbed(fault: String, status: Int) async throws {
        try await LiveHarness.run { harness in
            let response = try await harness.send(harness.chatRequest(LiveHarness.body(), headers: [("x-mock-fault", fault)]))
            #expect(response.status == status)
            #expect(!response.body.contains(LiveHarness.upstreamKey))
            if fault == "401-echo" { #expect(response.body.contains("[redacted]")) }
            if fault == "429" { #expect(response.headers.first(name: "retry-after") == "1") }
        }
    }

    @Test func aMalformedUpstreamAnswerIs502() async throws {
        try await LiveHarness.run { harness in
            for stream in [false, true] {
                let response = try await harness.send(
                    harness.chatRequest(LiveHarness.body(stream: stream), headers: [("x-mock-fault", "malformed")]))
                #expect(response.status == 502)
                #expect(try self.errorCode(response.body) == "upstream_error")
            }
        }
    }

    @Test func anUnreachableUpstreamIs502() async throws {
        try await LiveHarness.run(configure: { config in
            // Port 1 on loopback: nothing listens there, the connection is refused.
            config.providers[0].baseURL = "http://127.0.0.1:1"
        }) { harness in
            let response = try await harness.send(harness.chatRequest(LiveHarness.body()))
            #expect(response.status == 502)
            #expect(try self.errorCode(response.body) == "upstream_error")
        }
    }

    @Test func unknownRoutesAreJSON404s() async throws {
        try await LiveHarness.run { harness in
            let response = try await harness.send(HTTPClientRequest(url: harness.baseURL + "/v2/nothing"))
            #expect(response.status == 404)
            #expect(try self.errorCode(response.body) == "not_found")
        }
    }

    @Test func modelsHealthAndReady() async throws {
        try await LiveHarness.run { harness in
            var modelsRequest = HTTPClientRequest(url: harness.baseURL + "/v1/models")
            modelsRequest.headers.add(name: "authorization", value: "Bearer \(LiveHarness.token())")
            let models = try await harness.send(modelsRequest)
            #expect(models.status == 200)
            let data = try #require(try JSONTestObject.parse(models.body)?["data"] as? [[String: Any]])
            #expect(data.map { $0["id"] as? String } == ["gpt-4o"])
            #expect(try await harness.send(HTTPClientRequest(url: harness.baseURL + "/health")).status == 200)
            #expect(try await harness.send(HTTPClientRequest(url: harness.baseURL + "/ready")).status == 200)
        }
    }
}
