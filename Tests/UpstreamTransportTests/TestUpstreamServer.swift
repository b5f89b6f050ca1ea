import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// A scriptable HTTP/1.1 upstream on 127.0.0.1 for transport tests: it answers each request as
/// told, counts the connections it accepts and signals what tests wait for.
final class TestUpstreamServer: Sendable {
    enum Answer: Sendable {
        /// 200 with `body`, keep-alive.
        case ok(String)
        /// 200 with `body`, then the server closes the connection once it is idle.
        case okThenCloseIdle(String)
        /// A head promising `promised` bytes, `sent` of them, then the connection drops.
        case dieMidBody(promised: Int, sent: Int)
        /// `total` bytes in chunks of `chunk`, written only while the socket takes them.
        case large(total: Int, chunk: Int)
        /// A head and one chunk, then nothing until the client goes.
        case hold
    }

    let channel: any Channel
    let events: Events
    var port: Int { self.channel.localAddress!.port! }

    /// What happened on the server, and signals to wait for.
    final class Events: Sendable {
        let accepted = Atomic<Int>(0)
        let closed = Atomic<Int>(0)
        let bytesWritten = Atomic<Int>(0)
        let largeFinished = Atomic<Bool>(false)
        let (closes, closesContinuation) = AsyncStream<Void>.makeStream()
        let (blocks, blocksContinuation) = AsyncStream<Void>.makeStream()
    }

    static func start(
        tls: NIOSSLContext? = nil,
        answer: @escaping @Sendable (HTTPRequestHead) -> Answer
    ) async throws -> TestUpstreamServer {
        let events = Events()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    events.accepted.add(1, ordering: .relaxed)
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(ScriptedAnswerHandler(answer: answer, events: events))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let server = TestUpstreamServer(channel: channel, events: events)
        return server
    }

    private init(channel: any Channel, events: Events) {
        self.channel = channel
        self.events = events
    }

    func stop() async throws {
        try await self.channel.close()
    }

    static func tlsContext(certificate: String, key: String) throws -> NIOSSLContext {
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: [.certificate(try NIOSSLCertificate(bytes: Array(certificate.utf8), format: .pem))],
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(key.utf8), format: .pem))
        )
        return try NIOSSLContext(configuration: configuration)
    }
}

private final class ScriptedAnswerHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let answer: @Sendable (HTTPRequestHead) -> TestUpstreamServer.Answer
    let events: TestUpstreamServer.Events
    var head: HTTPRequestHead?
    var remaining = 0
    var chunk = 0
    var isWriting = false
    var ended = false

    init(answer: @escaping @Sendable (HTTPRequestHead) -> TestUpstreamServer.Answer, events: TestUpstreamServer.Events) {
        self.answer = answer
        self.events = events
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head): self.head = head
        case .body: break
        case .end: self.respond(context: context, to: self.head!)
        }
    }

    private func respond(context: ChannelHandlerContext, to head: HTTPRequestHead) {
        switch self.answer(head) {
        case .ok(let body):
            self.writeWhole(context: context, body: body)
        case .okThenCloseIdle(let body):
            self.writeWhole(context: context, body: body)
            context.close(promise: nil)
        case .dieMidBody(let promised, let sent):
            var headers = HTTPHeaders([("content-length", String(promised))])
            headers.add(name: "content-type", value: "text/event-stream")
            context.write(self.wrapOutboundOut(.head(.init(version: .http1_1, status: .ok, headers: headers))), promise: nil)
            let bytes = ByteBuffer(repeating: UInt8(ascii: "x"), count: sent)
            context.writeAndFlush(self.wrapOutboundOut(.body(.byteBuffer(bytes))), promise: nil)
            context.close(promise: nil)
        case .large(let total, let chunk):
            let headers = HTTPHeaders([("content-length", String(total))])
            context.write(self.wrapOutboundOut(.head(.init(version: .http1_1, status: .ok, headers: headers))), promise: nil)
            self.remaining = total
            self.chunk = chunk
            self.writeWhileWritable(context: context)
        case .hold:
            let headers = HTTPHeaders([("content-type", "text/event-stream"), ("transfer-encoding", "chunked")])
            context.write(self.wrapOutboundOut(.head(.init(version: .http1_1, status: .ok, headers: headers))), promise: nil)
            context.writeAndFlush(self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: "data: 1\n\n")))), promise: nil)
        }
    }

    private func writeWhole(context: ChannelHandlerContext, body: String) {
        let headers = HTTPHeaders([("content-length", String(body.utf8.count)), ("content-type", "application/json")])
        context.write(self.wrapOutboundOut(.head(.init(version: .http1_1, status: .ok, headers: headers))), promise: nil)
        context.write(self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
        context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
    }

    private func writeWhileWritable(context: ChannelHandlerContext) {
        // A flush can report writability again from inside this loop.
        guard !self.isWriting else { return }
        self.isWriting = true
        defer { self.isWriting = false }
        while self.remaining > 0 && context.channel.isWritable {
            let size = min(self.chunk, self.remaining)
            self.remaining -= size
            let events = self.events
            let promise = context.eventLoop.makePromise(of: Void.self)
            promise.futureResult.whenSuccess { events.bytesWritten.add(size, ordering: .relaxed) }
            context.writeAndFlush(self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(repeating: 0x61, count: size)))), promise: promise)
        }
        if self.remaining == 0 && !self.ended {
            self.ended = true
            context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
            self.events.largeFinished.store(true, ordering: .relaxed)
        } else {
            self.events.blocksContinuation.yield()
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable && self.remaining > 0 { self.writeWhileWritable(context: context) }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.events.closed.add(1, ordering: .relaxed)
        self.events.closesContinuation.yield()
        context.fireChannelInactive()
    }
}
