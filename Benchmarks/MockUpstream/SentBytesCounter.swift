import NIOCore
import NIOHTTPTypes

/// Counts the answer bytes the mock's sockets have taken: a write's promise succeeds once its
/// bytes are written to the socket. What the mock's handlers hand to a response writer is not
/// that: the writer queues, so a count taken when `write` returns runs ahead of the socket.
final class SentBytesCounter: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let stats: MockStats

    init(stats: MockStats) {
        self.stats = stats
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .body(let bytes) = self.unwrapOutboundIn(data) else { return context.write(data, promise: promise) }
        let count = bytes.readableBytes
        let written = promise ?? context.eventLoop.makePromise()
        let stats = self.stats
        written.futureResult.whenSuccess { stats.update { $0.bodyBytesSent += count } }
        context.write(data, promise: written)
    }

    /// A connection's end, which a test of a client leaving awaits: the gateway closing its
    /// upstream connection is the upstream's stream cancelled, whatever the mock's handler had
    /// already handed to its writer.
    func channelInactive(context: ChannelHandlerContext) {
        self.stats.update { $0.connectionsClosed += 1 }
        context.fireChannelInactive()
    }
}
