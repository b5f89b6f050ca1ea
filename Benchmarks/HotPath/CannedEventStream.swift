import NIOCore
import NIOHTTP1
import NIOPosix

/// An HTTP/1.1 upstream whose every answer is the same event stream, chunked, keep-alive: one
/// chunk per event, all flushed together, as a fast upstream's burst arrives.
struct CannedEventStream: Sendable {
    let channel: any Channel
    var port: Int { self.channel.localAddress?.port ?? 0 }

    static func start(event: ByteBuffer, count: Int) async throws -> CannedEventStream {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(CannedEvents(event: event, count: count))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return CannedEventStream(channel: channel)
    }
}

private final class CannedEvents: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    let event: ByteBuffer
    let count: Int
    let head = HTTPResponseHead(
        version: .http1_1, status: .ok,
        headers: HTTPHeaders([("content-type", "text/event-stream"), ("transfer-encoding", "chunked")]))

    init(event: ByteBuffer, count: Int) {
        self.event = event
        self.count = count
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .end = self.unwrapInboundIn(data) else { return }
        context.write(self.wrapOutboundOut(.head(self.head)), promise: nil)
        for _ in 0..<self.count {
            context.write(self.wrapOutboundOut(.body(.byteBuffer(self.event))), promise: nil)
        }
        context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
    }
}
