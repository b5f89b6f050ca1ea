import NIOCore
import NIOHTTP1
import NIOPosix

/// The smallest HTTP/1.1 upstream: every request gets the same 200 answer, keep-alive.
struct CannedUpstream: Sendable {
    let channel: any Channel
    var port: Int { self.channel.localAddress?.port ?? 0 }

    static func start(answer: ByteBuffer) async throws -> CannedUpstream {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(CannedAnswer(answer: answer))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return CannedUpstream(channel: channel)
    }
}

private final class CannedAnswer: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    let answer: ByteBuffer
    let head: HTTPResponseHead

    init(answer: ByteBuffer) {
        self.answer = answer
        self.head = HTTPResponseHead(
            version: .http1_1, status: .ok,
            headers: HTTPHeaders([("content-type", "application/json"), ("content-length", String(answer.readableBytes))]))
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .end = self.unwrapInboundIn(data) else { return }
        context.write(self.wrapOutboundOut(.head(self.head)), promise: nil)
        context.write(self.wrapOutboundOut(.body(.byteBuffer(self.answer))), promise: nil)
        context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
    }
}
