import NIOCore
import NIOPosix

/// An HTTP/1.1 upstream whose every answer is the same event stream: one chunk per event, the
/// whole answer written at once, as a fast upstream's burst arrives. The answer is encoded once,
/// and requests are not parsed (each ends with the benchmark's own body), so the count measures
/// the reading side, not this server.
struct CannedEventStream: Sendable {
    let channel: any Channel
    var port: Int { self.channel.localAddress?.port ?? 0 }

    static func start(event: ByteBuffer, count: Int, requestEnd: ByteBuffer) async throws -> CannedEventStream {
        var answer = ByteBuffer(string: "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n")
        for _ in 0..<count {
            answer.writeString(String(event.readableBytes, radix: 16) + "\r\n")
            answer.writeImmutableBuffer(event)
            answer.writeString("\r\n")
        }
        answer.writeString("0\r\n\r\n")
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { [answer] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(CannedEvents(answer: answer, requestEnd: requestEnd))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return CannedEventStream(channel: channel)
    }
}

private final class CannedEvents: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let answer: ByteBuffer
    let requestEnd: [UInt8]
    /// The request's last bytes seen so far (a request may arrive in several reads).
    var tail: [UInt8] = []

    init(answer: ByteBuffer, requestEnd: ByteBuffer) {
        self.answer = answer
        self.requestEnd = Array(requestEnd.readableBytesView.suffix(16))
        self.tail.reserveCapacity(64)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = self.unwrapInboundIn(data)
        self.tail.append(contentsOf: bytes.readableBytesView.suffix(self.requestEnd.count))
        if self.tail.count > self.requestEnd.count { self.tail.removeFirst(self.tail.count - self.requestEnd.count) }
        guard self.tail == self.requestEnd else { return }
        self.tail.removeAll(keepingCapacity: true)
        context.writeAndFlush(self.wrapOutboundOut(self.answer), promise: nil)
    }
}
