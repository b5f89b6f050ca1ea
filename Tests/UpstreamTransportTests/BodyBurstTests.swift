import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import UpstreamTransport

/// A read burst reaches the body's reader as one buffer (`BodyBurst`), and nothing of it is
/// lost at the body's end or at a close.
@Suite(.timeLimit(.minutes(5)))
struct BodyBurstTests {
    @Test func noPartsMakeNothingOnePartPassesAsItCameSeveralAreJoined() {
        var burst = BodyBurst()
        #expect(burst.take(allocator: ByteBufferAllocator()) == nil)
        let read = ByteBuffer(string: "data: one\n\ndata: two\n\n")
        burst.append(read.getSlice(at: 0, length: 11)!)
        #expect(!burst.isEmpty)
        #expect(burst.take(allocator: ByteBufferAllocator()).map { String(buffer: $0) } == "data: one\n\n")
        #expect(burst.isEmpty)
        for part in ["data: a\n\n", "data: b", "\n\n", ""] { burst.append(ByteBuffer(string: part)) }
        #expect(burst.take(allocator: ByteBufferAllocator()).map { String(buffer: $0) } == "data: a\n\ndata: b\n\n")
        #expect(burst.take(allocator: ByteBufferAllocator()) == nil)
    }

    /// One read carrying three chunks of a chunked answer: the reader gets one buffer, not three.
    @Test func theChunksOfOneReadReachTheReaderAsOneBuffer() async throws {
        let (channel, response) = try await Self.streamingAnswer()
        try channel.writeInbound(ByteBuffer(string: "9\r\ndata: a\n\n\r\n9\r\ndata: b\n\n\r\n9\r\ndata: c\n\n\r\n"))
        var body = response.body.makeAsyncIterator()
        let first = try await body.next()
        #expect(first.map { String(buffer: $0) } == "data: a\n\ndata: b\n\ndata: c\n\n")
        // The next read is the next buffer.
        try channel.writeInbound(ByteBuffer(string: "9\r\ndata: d\n\n\r\n0\r\n\r\n"))
        #expect(try await body.next().map { String(buffer: $0) } == "data: d\n\n")
        #expect(try await body.next() == nil)
    }

    /// The end in the same read as the last chunks: the chunks come first, then the end.
    @Test func chunksReadWithTheEndAreNotLost() async throws {
        let (channel, response) = try await Self.streamingAnswer()
        try channel.writeInbound(ByteBuffer(string: "9\r\ndata: a\n\n\r\n9\r\ndata: b\n\n\r\n0\r\n\r\n"))
        var body = response.body.makeAsyncIterator()
        #expect(try await body.next().map { String(buffer: $0) } == "data: a\n\ndata: b\n\n")
        #expect(try await body.next() == nil)
    }

    /// A close before the body's end: what arrived is read, then the body fails.
    @Test func chunksReadBeforeACloseComeBeforeTheError() async throws {
        let (channel, response) = try await Self.streamingAnswer()
        channel.pipeline.fireChannelRead(ByteBuffer(string: "9\r\ndata: a\n\n\r\n"))
        try await channel.close()
        var body = response.body.makeAsyncIterator()
        #expect(try await body.next().map { String(buffer: $0) } == "data: a\n\n")
        await #expect(throws: UpstreamTransportError.closedMidBody) { _ = try await body.next() }
    }

    /// A connection whose request is sent and whose streamed answer's head has arrived.
    private static func streamingAnswer() async throws -> (EmbeddedChannel, UpstreamResponse) {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHTTPClientHandlers()
        let handler = UpstreamConnectionHandler(lifecycle: .init(onIdle: {}, onClose: {}))
        try channel.pipeline.syncOperations.addHandler(handler)
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 443))
        let promise = channel.eventLoop.makePromise(of: UpstreamResponse.self)
        handler.send(
            head: HTTPRequestHead(version: .http1_1, method: .POST, uri: "/v1/chat/completions"), body: ByteBuffer(), promise: promise)
        while try channel.readOutbound(as: ByteBuffer.self) != nil {}
        try channel.writeInbound(
            ByteBuffer(string: "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"))
        return (channel, try await promise.futureResult.get())
    }
}
