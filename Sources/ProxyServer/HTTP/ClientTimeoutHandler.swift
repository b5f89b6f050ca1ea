import NIOCore
import NIOHTTPTypes

/// Cuts off clients that are too slow (`server.client_timeout_seconds`): a request's head must
/// arrive within the timeout of its connection going idle, its body within the timeout of its
/// head, and a keep-alive connection left idle that long is closed.
///
/// Without it one byte a minute holds a connection, and the body buffer behind it, for ever.
/// Nothing is timed while the gateway answers: a ten-minute stream is the upstream's business,
/// bounded by the provider's `timeout_seconds`.
final class ClientTimeoutHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let timeout: TimeAmount
    /// Called when a request was cut off half-read (not for an idle connection closed).
    private let onRequestTimedOut: @Sendable () -> Void
    private var timer: Scheduled<Void>?
    private var isReadingRequest = false
    private var answersInProgress = 0

    init(timeout: TimeAmount, onRequestTimedOut: @escaping @Sendable () -> Void) {
        self.timeout = timeout
        self.onRequestTimedOut = onRequestTimedOut
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { self.arm(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        self.arm(context)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.disarm()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.disarm()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head:
            // The head came in time; now the body has the same time.
            self.isReadingRequest = true
            self.arm(context)
        case .body:
            break
        case .end:
            self.isReadingRequest = false
            self.answersInProgress += 1
            self.disarm()
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = self.unwrapOutboundIn(data) {
            self.answersInProgress = max(0, self.answersInProgress - 1)
            if self.answersInProgress == 0 && !self.isReadingRequest { self.arm(context) }
        }
        context.write(data, promise: promise)
    }

    private func arm(_ context: ChannelHandlerContext) {
        self.timer?.cancel()
        let loopBound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        self.timer = context.eventLoop.scheduleTask(in: self.timeout) {
            let (handler, context) = loopBound.value
            handler.timer = nil
            if handler.isReadingRequest { handler.onRequestTimedOut() }
            context.close(promise: nil)
        }
    }

    private func disarm() {
        self.timer?.cancel()
        self.timer = nil
    }
}
