import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization
import Testing

@testable import UpstreamTransport

@Suite(.timeLimit(.minutes(5)))
struct UpstreamTransportTests {
    func host(_ transport: UpstreamTransport, port: Int, tls: Bool = false, name: String = "127.0.0.1") throws -> UpstreamHost {
        try transport.host(UpstreamEndpoint(host: name, port: port, usesTLS: tls))
    }

    func text(_ response: UpstreamResponse) async throws -> String {
        String(buffer: try await response.body.collect(upTo: 1 << 20))
    }

    @Test func oneHundredSequentialRequestsUseOneConnection() async throws {
        let server = try await TestUpstreamServer.start { _ in .ok(#"{"ok":true}"#) }
        let transport = UpstreamTransport()
        let host = try self.host(transport, port: server.port)
        for _ in 0..<100 {
            let response = try await host.execute(path: "/v1/chat", headers: [:], body: ByteBuffer(string: "{}"))
            #expect(response.status == .ok)
            #expect(try await self.text(response) == #"{"ok":true}"#)
        }
        #expect(server.events.accepted.load(ordering: .relaxed) == 1)
        #expect(host.openConnections == 1)
        transport.shutdown()
        try await server.stop()
    }

    @Test func aPooledConnectionTheUpstreamClosedIsNotUsedAgain() async throws {
        let server = try await TestUpstreamServer.start { _ in .okThenCloseIdle("first") }
        let transport = UpstreamTransport()
        let host = try self.host(transport, port: server.port)
        #expect(try await self.text(host.execute(path: "/", headers: [:])) == "first")
        await host.waitForOpenConnections(atMost: 0)
        #expect(try await self.text(host.execute(path: "/", headers: [:])) == "first")
        #expect(server.events.accepted.load(ordering: .relaxed) == 2)
        transport.shutdown()
        try await server.stop()
    }

    @Test func anUpstreamThatDiesMidBodyEndsTheBodyWithAnError() async throws {
        let server = try await TestUpstreamServer.start { _ in .dieMidBody(promised: 1000, sent: 10) }
        let transport = UpstreamTransport()
        let response = try await self.host(transport, port: server.port).execute(path: "/", headers: [:])
        #expect(response.status == .ok)
        var received = 0
        await #expect(throws: UpstreamTransportError.closedMidBody) {
            for try await chunk in response.body { received += chunk.readableBytes }
        }
        #expect(received == 10)
        transport.shutdown()
        try await server.stop()
    }

    @Test func aHostThatDoesNotAcceptTimesOutAtTheConnectTimeout() async throws {
        // A listener that never accepts, its backlog filled: the kernel drops further SYNs.
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 0)
            .serverChannelOption(.autoRead, value: false)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = listener.localAddress!.port!
        var fillers: [any Channel] = []
        for _ in 0..<4 {
            if let filler = try? await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.milliseconds(200)).connect(host: "127.0.0.1", port: port).get()
            {
                fillers.append(filler)
            }
        }
        var configuration = UpstreamTransport.Configuration()
        configuration.connectTimeout = .milliseconds(200)
        let transport = UpstreamTransport(configuration: configuration)
        await #expect(throws: UpstreamTransportError.connectTimeout) {
            _ = try await self.host(transport, port: port).execute(path: "/", headers: [:])
        }
        for filler in fillers { try? await filler.close() }
        try await listener.close()
        transport.shutdown()
    }

    @Test func aClientThatStopsReadingClosesTheUpstreamConnection() async throws {
        let server = try await TestUpstreamServer.start { _ in .hold }
        let transport = UpstreamTransport()
        let host = try self.host(transport, port: server.port)
        let (firstChunk, firstChunkSeen) = AsyncStream<Void>.makeStream()
        let reader = Task {
            let response = try await host.execute(path: "/", headers: [:])
            var iterator = response.body.makeAsyncIterator()
            _ = try await iterator.next()
            firstChunkSeen.yield()
            // The upstream sends nothing more: this waits until cancelled.
            _ = try await iterator.next()
        }
        var closes = server.events.closes.makeAsyncIterator()
        // Once the first chunk has arrived, the connection is open and streaming.
        var signals = firstChunk.makeAsyncIterator()
        _ = await signals.next()
        reader.cancel()
        _ = await closes.next()
        #expect(server.events.closed.load(ordering: .relaxed) == 1)
        await host.waitForOpenConnections(atMost: 0)
        transport.shutdown()
        try await server.stop()
    }

    @Test func cuttingABodyMidReadEndsTheReadAndClosesTheConnection() async throws {
        let server = try await TestUpstreamServer.start { _ in .hold }
        let transport = UpstreamTransport()
        let host = try self.host(transport, port: server.port)
        let response = try await host.execute(path: "/", headers: [:])
        let body = response.body
        let reader = Task {
            var iterator = body.makeAsyncIterator()
            _ = try await iterator.next()
            // The upstream sends nothing more: this waits until the body is cut.
            _ = try await iterator.next()
        }
        // The cut comes from elsewhere (a deadline, a client gone), while the reader waits.
        var closes = server.events.closes.makeAsyncIterator()
        body.cancel()
        _ = await closes.next()
        await #expect(throws: UpstreamTransportError.closedMidBody) { try await reader.value }
        await host.waitForOpenConnections(atMost: 0)
        transport.shutdown()
        try await server.stop()
    }

    @Test func droppingAnUnreadBodyClosesTheConnection() async throws {
        let server = try await TestUpstreamServer.start { _ in .hold }
        let transport = UpstreamTransport()
        let host = try self.host(transport, port: server.port)
        var closes = server.events.closes.makeAsyncIterator()
        do {
            let response = try await host.execute(path: "/", headers: [:])
            #expect(response.status == .ok)
        }
        _ = await closes.next()
        await host.waitForOpenConnections(atMost: 0)
        transport.shutdown()
        try await server.stop()
    }

    @Test func aSlowReaderHoldsTheUpstreamBackInsteadOfBufferingIt() async throws {
        let total = 100 * 1024 * 1024
        let server = try await TestUpstreamServer.start { _ in .large(total: total, chunk: 64 * 1024) }
        let transport = UpstreamTransport()
        let response = try await self.host(transport, port: server.port).execute(path: "/", headers: [:])
        var iterator = response.body.makeAsyncIterator()
        var read = try await iterator.next()?.readableBytes ?? 0
        // The reader stops: the upstream must come to a stop with most of the body unsent.
        var blocks = server.events.blocks.makeAsyncIterator()
        _ = await blocks.next()
        let inFlight = server.events.bytesWritten.load(ordering: .relaxed) - read
        #expect(inFlight < 32 * 1024 * 1024, "bytes sent but not read: \(inFlight)")
        let finished = server.events.largeFinished.load(ordering: .relaxed)
        #expect(!finished)
        while let chunk = try await iterator.next() { read += chunk.readableBytes }
        #expect(read == total)
        transport.shutdown()
        try await server.stop()
    }

    @Test func theMaximumConnectionsPerHostQueuesTheNextRequest() async throws {
        let server = try await TestUpstreamServer.start { head in head.uri == "/hold" ? .hold : .ok("done") }
        var configuration = UpstreamTransport.Configuration()
        configuration.maximumConnectionsPerHost = 1
        let transport = UpstreamTransport(configuration: configuration)
        let host = try self.host(transport, port: server.port)
        let held = try await host.execute(path: "/hold", headers: [:])
        // The only connection is busy: a second request waits, and gets it once it is free.
        let waiting = Task { try await self.text(host.execute(path: "/", headers: [:])) }
        _ = consume held
        #expect(try await waiting.value == "done")
        #expect(server.events.accepted.load(ordering: .relaxed) == 2)
        transport.shutdown()
        try await server.stop()
    }
}
