import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// Cuts off clients that are too slow (`server.client_timeout_seconds`): a request's head must
/// arrive within the timeout of its connection going idle, its body within the timeout of its
/// head, and a keep-alive connection left idle that long is closed.
///
/// Without it one byte a minute holds a connection, and the body buffer behind it, for ever.
/// When it times is `ClientTimeoutState`'s to say. Nothing is timed while the gateway answers: a
/// ten-minute stream is the upstream's business, bounded by the provider's `timeout_seconds`.
final class ClientTimeoutHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let timeout: TimeAmount
    /// Called when a request was cut off half-read (not for an idle connection closed).
    private let onRequestTimedOut: @Sendable () -> Void
    private var timer: LoopTimer?
    private var state = ClientTimeoutState()

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
        case .head(let head):
            let closes = head.headerFields[.connection]?.lowercased().contains("close") ?? false
            self.perform(self.state.requestHeadReceived(closes: closes), context)
        case .body(let bytes):
            switch self.state.requestBodyReceived(bytes: bytes.readableBytes) {
            case true?: break
            case false?: return
            case nil:
                context.close(promise: nil)
                return
            }
        case .end:
            self.perform(self.state.requestEndReceived(), context)
        }
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if error is HTTPParserError { self.state.requestUnreadable() }
        context.fireErrorCaught(error)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        // Nobody downstream asks for the dropped body's bytes: ask for them here.
        if self.state.dropsBody { context.read() }
        context.fireChannelReadComplete()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .end = self.unwrapOutboundIn(data) else {
            context.write(data, promise: promise)
            return
        }
        let action = self.state.responseEndWritten()
        // The answer's end goes out before a close the state may ask for.
        context.write(data, promise: promise)
        self.perform(action, context)
        if self.state.dropsBody { context.read() }
    }

    private func perform(_ action: ClientTimeoutState.Action, _ context: ChannelHandlerContext) {
        switch action {
        case .arm: self.arm(context)
        case .disarm: self.disarm()
        case .keep: break
        case .close:
            self.disarm()
            // After the answer's bytes, which are queued ahead of the close.
            context.flush()
            context.close(promise: nil)
        }
    }

    private func arm(_ context: ChannelHandlerContext) {
        self.timer?.cancel()
        let loopBound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        self.timer = LoopTimer(deadline: .now() + self.timeout, on: context.eventLoop) {
            let (handler, context) = loopBound.value
            handler.timer = nil
            switch handler.state.timerFired() {
            case .close(let cutRequest):
                if cutRequest { handler.onRequestTimedOut() }
                context.close(promise: nil)
            case .ignore:
                break
            }
        }
    }

    private func disarm() {
        self.timer?.cancel()
        self.timer = nil
    }
}
