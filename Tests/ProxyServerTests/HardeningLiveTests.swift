import AsyncHTTPClient
import Foundation
import Logging
import MockUpstream
import NIOCore
import NIOHTTP1
import NIOPosix
import ProxyEngine
import Synchronization
import TestSupport
import Testing

@testable import ProxyServer

/// Hostile clients and careless upstreams, through the real HTTP surface.
@Suite(.timeLimit(.minutes(5))) struct HardeningLiveTests {
    // MARK: One model, the one that was checked

    @Test(arguments: [
        #"{"model":"gpt-a1","mod\u0065l":"gpt-b1","messages":[{"role":"user","content":"hi"}]}"#,
        #"{"model":"gpt-a1","model":"gpt-b1","messages":[{"role":"user","content":"hi"}]}"#,
        #"{"model":"gpt-a1","Model":"gpt-b1","messages":[{"role":"user","content":"hi"}]}"#,
        #"{"model":"gpt-a1","MODEL":"gpt-b1","messages":[{"role":"user","content":"hi"}]}"#,
        #"{"mod\u0065l":"gpt-a1","messages":[{"role":"user","content":"hi"}]}"#,
        #"{"model":"gpt-a1","stream":false,"Stream":true,"messages":[{"role":"user","content":"hi"}]}"#,
        #"{"model":"gpt-a1","ſtream":true,"messages":[{"role":"user","content":"hi"}]}"#,
        #"{"model":"gpt-a1","messages":[],"messages":[{"role":"user","content":"hi"}]}"#,
    ])
    func aBodyThatCouldShowTheUpstreamAnotherModelIsRefused(body: String) async throws {
        try await LiveHarness.run { (harness) async throws in
            let (_, key) = try await harness.createKey(models: ["gpt-a*"])
            let before = harness.mock.stats.snapshot.requests
            let response = try await harness.send(harness.chatRequest(body, headers: [("authorization", "Bearer \(key)")]))
            #expect(response.status == 400, "\(response.body)")
            #expect(try self.errorCode(response.body) == "invalid_request")
            #expect(harness.mock.stats.snapshot.requests == before, "nothing went upstream")
        }
    }

    @Test func anAllowedModelStillPasses() async throws {
        try await LiveHarness.run { (harness) async throws in
            let (_, key) = try await harness.createKey(models: ["gpt-a*"])
            let body = #"{"model":"gpt-a1","metadata":{"model":"x"},"messages":[{"role":"user","content":"hi"}]}"#
            let response = try await harness.send(harness.chatRequest(body, headers: [("authorization", "Bearer \(key)")]))
            #expect(response.status == 200)
        }
    }

    // MARK: The end of a stream is an event

    @Test func theTextDataDoneInsideAnEventDoesNotFreeTheSlot() async throws {
        try await LiveHarness.run(configure: { $0.limits.perTokenConcurrency = 1 }) { (harness) async throws in
            // The mock echoes the model in every chunk, so every event holds "data: [DONE]".
            let body = LiveHarness.body(model: "gpt-data: [DONE]-x", stream: true)
            let request = harness.chatRequest(body, headers: [("x-mock-hold", "second-event")])
            let response = try await harness.client.execute(request, timeout: .seconds(30))
            #expect(response.status == .ok)
            var events = response.body.makeAsyncIterator()
            let first = try #require(try await events.next())
            #expect(String(buffer: first).contains("data: [DONE]-x"))
            let whileOpen = try await harness.send(harness.chatRequest(LiveHarness.body()))
            #expect(whileOpen.status == 429, "the stream is still open: its slot must still be held")
            harness.mock.gates.open("second-event")
            while try await events.next() != nil {}
            try await eventually("the session's slot is free") { harness.gateway.tokenLimiter.count("jwt:test-session") == 0 }
            #expect(try await harness.send(harness.chatRequest(LiveHarness.body())).status == 200)
        }
    }

    // MARK: Numbers from outside

    @Test(arguments: ["limit=inf", "limit=nan", "limit=1e300", "limit=-1", "limit=0", "limit=10001", "limit=2.5", "since=inf", "until=nan"])
    func usageQueryNumbersOutOfRangeAre400(query: String) async throws {
        try await LiveHarness.run { (harness) async throws in
            let response = try await harness.send(harness.request(.GET, "/admin/usage?\(query)", bearer: LiveHarness.adminKey))
            #expect(response.status == 400)
            let name = String(query.prefix { $0 != "=" })
            #expect(response.body.contains("'\(name)'"), "the message names the parameter")
            #expect(try await harness.send(harness.request(.GET, "/admin/usage?limit=5", bearer: LiveHarness.adminKey)).status == 200)
        }
    }

    // MARK: Slow clients

    @Test func aClientThatNeverFinishesItsHeadIsCutOff() async throws {
        try await LiveHarness.run(configure: { $0.server.clientTimeoutSeconds = 2 }) { (harness) async throws in
            let started = ContinuousClock.now
            let connection = try await RawConnection.open(port: harness.gatewayPort)
            // On a loaded machine the gateway may close before this write: cut off all the same.
            try? await connection.send("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n")
            try await connection.closed()
            // A timeout, not an instant drop: never before the 2 s (less the clocks' rounding).
            #expect(ContinuousClock.now - started >= .milliseconds(1_900))
        }
    }

    @Test func aClientThatNeverFinishesItsBodyIsCutOff() async throws {
        try await LiveHarness.run(configure: { $0.server.clientTimeoutSeconds = 2 }) { (harness) async throws in
            let started = ContinuousClock.now
            let connection = try await RawConnection.open(port: harness.gatewayPort)
            try? await connection.send(
                "POST /auth/login HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"user")
            try await connection.closed()
            // A timeout, not an instant drop: never before the 2 s (less the clocks' rounding).
            #expect(ContinuousClock.now - started >= .milliseconds(1_900))
        }
    }

    @Test func anIdleKeepAliveConnectionIsClosed() async throws {
        try await LiveHarness.run(configure: { $0.server.clientTimeoutSeconds = 2 }) { (harness) async throws in
            let started = ContinuousClock.now
            let connection = try await RawConnection.open(port: harness.gatewayPort, first: "GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            try await connection.closed()
            // A timeout, not an instant drop: never before the 2 s (less the clocks' rounding).
            #expect(ContinuousClock.now - started >= .milliseconds(1_900))
            #expect(connection.received.hasPrefix("HTTP/1.1 200"), "the request itself was answered")
        }
    }

    /// A client that stops reading stops the upstream: the gateway holds no more of the stream
    /// than the sockets' buffers, and the upstream goes on once the client reads again.
    @Test func aClientThatStopsReadingStopsTheUpstream() async throws {
        // 4,000 events of 64 KiB: 250 MiB. The four loopback sockets hold 7 to 8.5 MB of it once
        // stalled here, and may grow to tcp_rmem's and tcp_wmem's maxima (32 and 4 MiB each); a
        // gateway that buffered would take it all. Measured by what the mock's sockets took, not
        // by what its handler handed its writer: that queues (its padded events share one
        // buffer), and read 18 to 204 MB, once all 250 MiB, for the same stall.
        let events = 4_000
        let total = events * 64 * 1024
        try await LiveHarness.run(configure: { $0.providers[0].timeoutSeconds = 120 }) { (harness) async throws in
            let connection = try await RawConnection.open(port: harness.gatewayPort, reading: false)
            let body = LiveHarness.body(stream: true)
            try await connection.send(
                "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n"
                    + "authorization: Bearer \(LiveHarness.token())\r\nx-mock-chunks: \(events)\r\nx-mock-event-bytes: 65536\r\n"
                    + "content-length: \(body.utf8.count)\r\n\r\n\(body)")
            try await harness.mock.stats.wait { $0.bodyBytesSent > 0 }
            let stalled = try await Self.settled { harness.mock.stats.snapshot.bodyBytesSent }
            #expect(stalled < total / 2, "the gateway took \(stalled) of \(total) bytes from a client that read none")
            try await connection.startReading()
            try await harness.mock.stats.wait { $0.bodyBytesSent > stalled }
            let closedBefore = harness.mock.stats.snapshot.connectionsClosed
            try await connection.close()
            // The client's leaving reaches the upstream, though it was mid-write: the gateway
            // closes that connection with the stream unfinished. (Not the mock's handler's count
            // of streams cancelled: its writer queues, and once took all 250 MiB, so the handler
            // can have finished while its socket still holds most of the stream.)
            try await harness.mock.stats.wait { $0.connectionsClosed > closedBefore }
            #expect(harness.mock.stats.snapshot.bodyBytesSent < total)
        }
    }

    /// The value once it has not changed for half a second: how far a stream got before it
    /// stopped.
    private static func settled(_ value: @Sendable () -> Int) async throws -> Int {
        var last = value()
        while true {
            try await Task.sleep(for: .milliseconds(500))
            let now = value()
            if now == last { return now }
            last = now
        }
    }

    @Test func aStreamLongerThanTheClientTimeoutIsNotCut() async throws {
        let configure: @Sendable (inout GatewayConfig) -> Void = { config in
            // A second: a loaded machine never takes that long between a request's head and its
            // body; the stream's gaps (1.5 s) are longer, so a timed answer would be cut.
            config.server.clientTimeoutSeconds = 1
            config.providers[0].timeoutSeconds = 60
        }
        try await LiveHarness.run(configure: configure) { (harness) async throws in
            let request = harness.chatRequest(
                LiveHarness.body(stream: true), headers: [("x-mock-chunks", "3"), ("x-mock-chunk-delay-ms", "1500")])
            let response = try await harness.send(request)
            let transcript = try OpenAIStreamTranscript(response.body)
            #expect(transcript.sawDone)
            #expect(transcript.text == LiveHarness.expectedText(chunks: 3))
        }
    }

    @Test func loginBodiesAreCappedAtAFewKilobytes() async throws {
        try await LiveHarness.run { (harness) async throws in
            let password = String(repeating: "p", count: 8 * 1024)
            let response = try await harness.send(
                harness.request(.POST, "/auth/login", json: #"{"username":"tester","password":"\#(password)"}"#))
            #expect(response.status == 413)
        }
    }

    // MARK: Bounded metric labels

    @Test func metricLabelsNameTheConfiguredPatternNotTheClientsModel() async throws {
        try await LiveHarness.run { (harness) async throws in
            for index in 0..<30 {
                let response = try await harness.send(harness.chatRequest(LiveHarness.body(model: "gpt-client-chosen-\(index)")))
                #expect(response.status == 200)
            }
            let metrics = try await harness.send(HTTPClientRequest(url: harness.baseURL + "/metrics")).body
            #expect(!metrics.contains("gpt-client-chosen"))
            #expect(metrics.contains(#"model="gpt-*""#))
        }
    }

    @Test func usageRecordsKeepTheRequestedModelCapped() async throws {
        try await LiveHarness.run { (harness) async throws in
            let long = "gpt-" + String(repeating: "m", count: 1000)
            #expect(try await harness.send(harness.chatRequest(LiveHarness.body(model: long))).status == 200)
            await harness.flushUsage()
            let usage = try await harness.send(harness.request(.GET, "/admin/usage", bearer: LiveHarness.adminKey))
            let object = try #require(try JSONTestObject.parse(usage.body))
            let record = try #require((object["data"] as? [[String: Any]])?.first)
            let model = try #require(record["model"] as? String)
            #expect(model.hasPrefix("gpt-mmm"))
            #expect(model.utf8.count == UsageRecord.maximumModelLength)
        }
    }

    // MARK: Headers

    @Test func rateLimitHeadersAreRelayedOnlyWhereTheProviderOptsIn() async throws {
        try await LiveHarness.run(configure: { $0.providers[0].exposeRateLimitHeaders = true }) { (harness) async throws in
            let response = try await harness.send(harness.chatRequest(LiveHarness.body()))
            #expect(response.headers.first(name: "x-ratelimit-remaining-requests") == "4999")
            #expect(response.headers.first(name: "openai-organization") == nil)
        }
    }

    // MARK: Logins

    /// Attempts count when they start: exactly five are checked (401), the rest throttled.
    @Test func fortyParallelWrongPasswordsGetExactlyFive401s() async throws {
        try await LiveHarness.run { (harness) async throws in
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<40 {
                    group.addTask {
                        try await harness.send(
                            harness.request(.POST, "/auth/login", json: #"{"username":"tester","password":"wrong"}"#)
                        ).status
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 401 }.count == 5, "\(statuses)")
            #expect(statuses.filter { $0 == 429 }.count == 35, "\(statuses)")
        }
    }

    @Test func anAddressThatKeepsGuessingTheAdminKeyIsThrottled() async throws {
        try await LiveHarness.run { (harness) async throws in
            for _ in 0..<10 {
                #expect(try await harness.send(harness.request(.GET, "/admin/keys", bearer: "wrong-admin-key-000000")).status == 401)
            }
            let throttled = try await harness.send(harness.request(.GET, "/admin/keys", bearer: LiveHarness.adminKey))
            #expect(throttled.status == 429)
            #expect(throttled.headers.first(name: "retry-after") != nil)
        }
    }

    // MARK: What a request is charged

    @Test func aRequestRefusedByTheUpstreamQueueIsNotCharged() async throws {
        let configure: @Sendable (inout GatewayConfig) -> Void = { config in
            config.providers[0].requestsPerSecond = 0.001
            config.providers[0].queueCapacity = 0
        }
        try await LiveHarness.run(configure: configure) { (harness) async throws in
            #expect(try await harness.send(harness.chatRequest(LiveHarness.body())).status == 200)
            #expect(try await harness.send(harness.chatRequest(LiveHarness.body())).status == 429)
            #expect(try await harness.send(harness.chatRequest(LiveHarness.body())).status == 429)
            let used = harness.gateway.quota.usage(of: "user:tester").usage.requests
            #expect(used == 1)
        }
    }

    @Test func aRequestWithNoAccountInRotationIsNotCharged() async throws {
        let behaviour = MockUpstreamBehaviour(faultsByKey: [LiveHarness.upstreamKey: .error401Echo])
        try await LiveHarness.run(behaviour: behaviour) { (harness) async throws in
            #expect(try await harness.send(harness.chatRequest(LiveHarness.body())).status == 401)
            #expect(try await harness.send(harness.chatRequest(LiveHarness.body())).status == 503)
            #expect(try await harness.send(harness.chatRequest(LiveHarness.body())).status == 503)
            let used = harness.gateway.quota.usage(of: "user:tester").usage.requests
            #expect(used == 1, "only the request that reached the upstream counts")
        }
    }

    @Test func aStreamItsClientLeftIsChargedForWhatItReceived() async throws {
        try await LiveHarness.run(configure: { $0.limits.perTokenConcurrency = 1 }) { (harness) async throws in
            let (firstEvent, firstEventSink) = AsyncStream<Void>.makeStream()
            let reader = Task {
                let request = harness.chatRequest(LiveHarness.body(stream: true), headers: [("x-mock-hold", "never")])
                let response = try await harness.client.execute(request, timeout: .seconds(30))
                var events = response.body.makeAsyncIterator()
                _ = try await events.next()
                firstEventSink.yield()
                try await Task.sleep(for: .seconds(60))
            }
            for await _ in firstEvent { break }
            reader.cancel()
            _ = await reader.result
            // The slot is released once the stream's outcome is recorded.
            try await eventually("the session's slot is free") { harness.gateway.tokenLimiter.count("jwt:test-session") == 0 }
            let tokens = harness.gateway.quota.usage(of: "user:tester").usage.tokens
            #expect(tokens > 0, "a stream the client left is not free")
        }
    }

    // MARK: Side calls do not judge accounts

    @Test func countTokensFailuresDoNotCoolTheAccountDown() async throws {
        let configure: @Sendable (inout GatewayConfig) -> Void = { config in
            var anthropic = ProviderConfig(
                name: "anthropic-upstream", kind: .anthropic, baseURL: config.providers[0].baseURL, models: ["claude-*"])
            anthropic.accounts = [AccountConfig(name: "shared", apiKey: "sk-ant-shared-0123456789")]
            anthropic.forwardHeaders = ["x-mock-*"]
            config.providers.append(anthropic)
        }
        try await LiveHarness.run(configure: configure) { (harness) async throws in
            let body = #"{"model":"claude-x","messages":[{"role":"user","content":"hi"}]}"#
            for fault in ["429", "500"] {
                let counted = try await harness.send(
                    harness.chatRequest(body, path: "/v1/messages/count_tokens", headers: [("x-mock-fault", fault)]))
                #expect(counted.status == Int(fault))
            }
            let accounts = try await harness.send(harness.request(.GET, "/admin/accounts", bearer: LiveHarness.adminKey))
            #expect(!accounts.body.contains("rate limited"), "\(accounts.body)")
            let messages = try await harness.send(
                harness.chatRequest(
                    #"{"model":"claude-x","max_tokens":8,"messages":[{"role":"user","content":"hi"}]}"#, path: "/v1/messages"))
            #expect(messages.status == 200, "the account still serves")
        }
    }

    @Test func countTokensHoldsAConcurrencySlot() async throws {
        try await LiveHarness.run(configure: { $0.limits.perTokenConcurrency = 1 }) { (harness) async throws in
            let reader = Task {
                let request = harness.chatRequest(LiveHarness.body(stream: true), headers: [("x-mock-hold", "never")])
                let response = try await harness.client.execute(request, timeout: .seconds(30))
                for try await _ in response.body {}
            }
            try await harness.mock.stats.wait { $0.active == 1 }
            let body = #"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}"#
            let counted = try await harness.send(harness.chatRequest(body, path: "/v1/messages/count_tokens"))
            #expect(counted.status == 429)
            #expect(try self.anthropicErrorType(counted.body) == "rate_limit_error")
            reader.cancel()
            _ = await reader.result
        }
    }

    // MARK: Shutdown

    @Test(.timeLimit(.minutes(5))) func countsSurviveAShutdownThatOutlastsItsGrace() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("grace-\(UUID()).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let configure: @Sendable (inout GatewayConfig) -> Void = { config in
            config.storage.url = "sqlite:" + path
            config.providers[0].timeoutSeconds = 600
            // Only the shutdown flush writes.
            config.quota.flushEveryRequests = 1000
            config.quota.flushIntervalSeconds = 3600
        }
        try await LiveHarness.run(configure: configure, shutdownGrace: .seconds(1)) { (harness) async throws in
            let held = Task {
                let request = harness.chatRequest(LiveHarness.body(stream: true), headers: [("x-mock-hold", "never")])
                let response = try await harness.client.execute(request, timeout: .seconds(60))
                for try await _ in response.body {}
            }
            try await harness.mock.stats.wait { $0.active == 1 }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<50 {
                    group.addTask {
                        let status = try await harness.send(harness.chatRequest(LiveHarness.body())).status
                        #expect(status == 200)
                    }
                }
                try await group.waitForAll()
            }
            await harness.shutDownGateway()
            _ = await held.result
        }
        try await LiveHarness.run(configure: configure) { (harness) async throws in
            let used = harness.gateway.quota.usage(of: "user:tester").usage.requests
            #expect(used == 51, "the 50 requests and the stream cut off at the end of the grace")
        }
    }

    func errorCode(_ body: String) throws -> String? {
        (try JSONTestObject.parse(body)?["error"] as? [String: Any])?["code"] as? String
    }

    func anthropicErrorType(_ body: String) throws -> String? {
        (try JSONTestObject.parse(body)?["error"] as? [String: Any])?["type"] as? String
    }
}

extension LiveHarness {
    /// Writes the usage records and counts the gateway holds, as its flusher would.
    func flushUsage() async {
        await QuotaFlusher(
            quota: self.gateway.quota, usageLog: self.gateway.usageLog, store: self.gateway.store, interval: .seconds(3600),
            logger: .init(label: "test")
        ).flush()
    }
}

/// A bare TCP connection, for what HTTP clients never do: stop half-way through a request.
final class RawConnection: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    private let channelBox = Mutex<(any Channel)?>(nil)
    private let receivedBox = Mutex("")

    var received: String { self.receivedBox.withLock { $0 } }
    private var channel: any Channel { self.channelBox.withLock { $0! } }

    /// `allowingHalfClosure`: the server's FIN does not close this side, which goes on writing,
    /// as a client that writes its whole body before it reads does.
    /// `reading: false`: nothing is read until `startReading()`, with a small receive buffer, as a
    /// client on a slow link whose window fills.
    /// `first`: written from the connection's event loop as soon as it is up, not after the
    /// test's task is scheduled again: the server's idle timer starts at its accept, and a
    /// loaded machine may take seconds to resume a task.
    static func open(port: Int, allowingHalfClosure: Bool = false, reading: Bool = true, first: String? = nil) async throws
        -> RawConnection
    {
        let connection = RawConnection()
        var bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.allowRemoteHalfClosure, value: allowingHalfClosure)
        if !reading {
            bootstrap = bootstrap.channelOption(.autoRead, value: false)
                .channelOption(.socketOption(.so_rcvbuf), value: 64 * 1024)
        }
        let channel =
            try await bootstrap
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(connection) }
            }
            .connect(host: "127.0.0.1", port: port)
            .flatMap { channel in
                guard let first else { return channel.eventLoop.makeSucceededFuture(channel) }
                return channel.writeAndFlush(ByteBuffer(string: first)).map { channel }
            }
            .get()
        connection.channelBox.withLock { $0 = channel }
        return connection
    }

    /// Returns once the bytes are written; a cancelled caller closes the connection, which ends
    /// the wait (a test's time limit cancels it).
    func send(_ text: String) async throws {
        try await self.send(ByteBuffer(string: text))
    }

    func send(_ bytes: ByteBuffer) async throws {
        let channel = self.channel
        try await withTaskCancellationHandler {
            try await channel.writeAndFlush(bytes).get()
        } onCancel: {
            channel.close(promise: nil)
        }
    }

    func startReading() async throws {
        let channel = self.channel
        try await channel.setOption(.autoRead, value: true).get()
        channel.read()
    }

    /// Returns when the server closes the connection; a cancelled caller (the test's time limit)
    /// closes it itself, so the wait always ends.
    func closed() async throws {
        let channel = self.channel
        try await withTaskCancellationHandler {
            try await channel.closeFuture.get()
        } onCancel: {
            channel.close(promise: nil)
        }
    }

    /// Returns once the server has sent `text`; polls, and ends with the caller's cancellation,
    /// or with an error once the connection closed without it.
    func received(containing text: String) async throws {
        while !self.received.contains(text) {
            if !self.channel.isActive, !self.received.contains(text) { throw ClosedWithout(text: text, received: self.received) }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    struct ClosedWithout: Error {
        var text: String
        var received: String
    }

    func close() async throws {
        try await self.channel.close()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let text = String(buffer: self.unwrapInboundIn(data))
        self.receivedBox.withLock { $0 += text }
    }
}
