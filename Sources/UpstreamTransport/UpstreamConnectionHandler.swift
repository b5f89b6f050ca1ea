import NIOCore
import NIOHTTP1

/// The last handler of an upstream connection's pipeline: sends one request at a time and
/// hands its answer to the caller, the head through a promise and the body through a
/// back-pressured `NIOThrowingAsyncSequenceProducer`, one buffer per read burst (`BodyBurst`).
///
/// Back-pressure: while the body's buffer is above its high watermark the handler holds the
/// channel's `read()`, so the kernel's socket buffer fills and TCP slows the upstream; the
/// consumer's demand lets the read through again. Nothing here buffers without bound.
final class UpstreamConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = HTTPClientRequestPart

    /// What the connection does with itself when an answer is done or it closes.
    struct Lifecycle {
        /// Called on the event loop when an answer ended and the connection may be reused.
        var onIdle: () -> Void
        /// Called on the event loop once, when the connection closes.
        var onClose: () -> Void
    }

    private enum State {
        case idle
        case awaitingHead(EventLoopPromise<UpstreamResponse>, headWritten: Bool)
        case streaming(UpstreamBody.Producer.Source, keepAlive: Bool)
        case closed
    }

    private var state = State.idle
    private var context: ChannelHandlerContext?
    private let lifecycle: Lifecycle
    /// Numbers each request, so a late signal from an earlier body's consumer is ignored.
    private var request: UInt64 = 0
    private var requestWritten = false
    /// The consumer's buffer is full: `read()` waits for its demand.
    private var readsPaused = false
    private var readPending = false
    /// Why the connection failed, when it did before a request could hear of it (a refused TLS
    /// handshake happens as soon as the connection opens).
    private var failure: (any Error)?
    /// How often an event stream that says nothing gets an empty chunk (a silence tick, which
    /// the gateway answers with a keep-alive); nil for none.
    private var silenceTick: TimeAmount?
    private var silenceTimer: RepeatedTask?
    /// Body reads since the timer last looked: counted, not timed, so a read costs nothing more.
    private var readsSinceTick = 0
    /// The body parts read since the last `channelReadComplete`, not yet handed over.
    private var burst = BodyBurst()

    static let lowWatermark = 2
    static let highWatermark = 16

    init(lifecycle: Lifecycle) {
        self.lifecycle = lifecycle
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    // MARK: Sending

    func send(head: HTTPRequestHead, body: ByteBuffer, silenceTick: TimeAmount? = nil, promise: EventLoopPromise<UpstreamResponse>) {
        guard case .idle = self.state, let context, context.channel.isActive else {
            // Closed while it sat in the pool (nothing was written), or failed as it opened.
            promise.fail(
                self.request > 0 ? UpstreamTransportError.staleConnection : self.failure ?? UpstreamTransportError.connectionClosed)
            return
        }
        self.request &+= 1
        self.silenceTick = silenceTick
        self.requestWritten = false
        self.readsPaused = false
        self.state = .awaitingHead(promise, headWritten: false)
        let headWritten = context.eventLoop.makePromise(of: Void.self)
        let request = self.request
        headWritten.futureResult.assumeIsolated().whenComplete { result in
            self.headWriteCompleted(result, request: request)
        }
        context.write(self.wrapOutboundOut(.head(head)), promise: headWritten)
        if body.readableBytes > 0 {
            context.write(self.wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        let ended = context.eventLoop.makePromise(of: Void.self)
        ended.futureResult.assumeIsolated().whenSuccess {
            guard self.request == request else { return }
            self.requestWritten = true
            self.releaseIfDone()
        }
        context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: ended)
    }

    private func headWriteCompleted(_ result: Result<Void, any Error>, request: UInt64) {
        guard request == self.request, case .awaitingHead(let promise, _) = self.state else { return }
        switch result {
        case .success:
            self.state = .awaitingHead(promise, headWritten: true)
        case .failure(let error):
            // Not one byte of the request left: on a reused connection, one the upstream had
            // closed; on a new one, the connection's own failure (a refused TLS handshake).
            self.state = .closed
            promise.fail(self.isReused ? UpstreamTransportError.staleConnection : error)
            self.context?.close(promise: nil)
        }
    }

    // MARK: Receiving

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            guard case .awaitingHead(let promise, _) = self.state else { return self.unexpected(context) }
            let demand = BodyDemand(handler: NIOLoopBound(self, eventLoop: context.eventLoop), request: self.request)
            let body = UpstreamBody.Producer.makeSequence(
                backPressureStrategy: .init(lowWatermark: Self.lowWatermark, highWatermark: Self.highWatermark),
                finishOnDeinit: false,
                delegate: demand
            )
            self.state = .streaming(body.source, keepAlive: head.isKeepAlive)
            if let tick = self.silenceTick, head.headers.first(name: "content-type")?.lowercased().hasPrefix("text/event-stream") == true {
                self.startSilenceTimer(every: tick, context: context)
            }
            promise.succeed(
                UpstreamResponse(status: head.status, headers: head.headers, body: UpstreamBody(connection: body.sequence, demand: demand)))
        case .body(let bytes):
            guard case .streaming = self.state else { return self.unexpected(context) }
            self.readsSinceTick &+= 1
            self.burst.append(bytes)
            // A large body's reads go on one by one, as they came: a burst is for many small parts.
            if self.burst.bytes >= BodyBurst.handOverBytes { self.handOverBurst(context: context) }
        case .end:
            guard case .streaming(let source, let keepAlive) = self.state else { return self.unexpected(context) }
            self.handOverBurst(context: context)
            self.stopSilenceTimer()
            guard keepAlive else {
                self.state = .closed
                source.finish()
                context.close(promise: nil)
                return
            }
            self.state = .idle
            self.readsPaused = false
            // Back in the pool before the reader hears of the end: its next request finds it.
            self.releaseIfDone()
            source.finish()
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.handOverBurst(context: context)
        context.fireChannelReadComplete()
    }

    /// Yields the burst's parts as one buffer. Back-pressure is decided once per burst: a
    /// consumer above its high watermark holds the next `read()`.
    private func handOverBurst(context: ChannelHandlerContext) {
        guard !self.burst.isEmpty, let bytes = self.burst.take(allocator: context.channel.allocator),
            case .streaming(let source, _) = self.state
        else { return }
        switch source.yield(bytes) {
        case .produceMore: break
        case .stopProducing: self.readsPaused = true
        case .dropped: context.close(promise: nil)
        }
    }

    /// Looks every half `tick`: a half with no read, while the reader keeps up, yields one empty
    /// chunk. A keep-alive then follows at most `tick` into a silence, and never on a stream
    /// that is talking or whose reader is behind.
    private func startSilenceTimer(every tick: TimeAmount, context: ChannelHandlerContext) {
        self.stopSilenceTimer()
        self.readsSinceTick = 0
        let half = TimeAmount.nanoseconds(max(1, tick.nanoseconds / 2))
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        self.silenceTimer = context.eventLoop.scheduleRepeatedTask(initialDelay: half, delay: half) { _ in
            handler.value.silenceCheck()
        }
    }

    private func silenceCheck() {
        guard case .streaming(let source, _) = self.state else { return self.stopSilenceTimer() }
        defer { self.readsSinceTick = 0 }
        guard self.readsSinceTick == 0, !self.readsPaused else { return }
        if case .stopProducing = source.yield(ByteBuffer()) { self.readsPaused = true }
    }

    private func stopSilenceTimer() {
        self.silenceTimer?.cancel()
        self.silenceTimer = nil
    }

    /// Back to the pool once the answer has ended and the whole request has left.
    private func releaseIfDone() {
        guard case .idle = self.state, self.requestWritten else { return }
        self.requestWritten = false
        self.lifecycle.onIdle()
        // A read held back while the consumer was slow must not stay held on an idle connection:
        // the upstream's close has to be seen.
        if self.readPending, let context {
            self.readPending = false
            context.read()
        }
    }

    /// Bytes that answer no request: the connection cannot be trusted any more.
    private func unexpected(_ context: ChannelHandlerContext) {
        self.fail(UpstreamTransportError.connectionClosed)
        context.close(promise: nil)
    }

    func read(context: ChannelHandlerContext) {
        if self.readsPaused {
            self.readPending = true
        } else {
            context.read()
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // The decoder delivers what it held at an input close without a `channelReadComplete`.
        self.handOverBurst(context: context)
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        // What arrived before the close is the body's, ahead of its error.
        self.handOverBurst(context: context)
        self.fail(nil)
        self.state = .closed
        self.lifecycle.onClose()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if self.failure == nil { self.failure = error }
        self.handOverBurst(context: context)
        if case .streaming = self.state, let error = error as? HTTPParserError, error == .invalidEOFState {
            // The decoder's word for a connection that closed before the promised body ended.
            self.fail(UpstreamTransportError.closedMidBody)
        } else {
            self.fail(error)
        }
        context.close(promise: nil)
    }

    /// Ends the request in flight, if any, with `error` (or the closed connection's own).
    private func fail(_ error: (any Error)?) {
        self.stopSilenceTimer()
        switch self.state {
        case .awaitingHead(let promise, let headWritten):
            let fallback = headWritten || !self.isReused ? UpstreamTransportError.connectionClosed : .staleConnection
            promise.fail(error ?? self.failure ?? fallback)
        case .streaming(let source, _):
            source.finish(error ?? UpstreamTransportError.closedMidBody)
        case .idle, .closed:
            break
        }
        self.state = .closed
    }

    /// Why the connection failed before any request was sent on it, if it did.
    var openingFailure: (any Error)? { self.request == 0 ? self.failure : nil }

    /// Whether the request in flight is not the connection's first (it came from the pool).
    private var isReused: Bool { self.request > 1 }

    // MARK: The consumer's signals (on the event loop)

    fileprivate func demanded(request: UInt64) {
        guard request == self.request, self.readsPaused else { return }
        self.readsPaused = false
        if self.readPending, let context {
            self.readPending = false
            context.read()
        }
    }

    /// The consumer stopped reading: an answer not read to its end cannot leave the connection
    /// reusable, so it closes (and that aborts the upstream's work).
    fileprivate func consumerLeft(request: UInt64) {
        guard request == self.request, case .streaming(let source, _) = self.state else { return }
        // A reader still waiting (the body was cut, not dropped) hears of it as a closed body.
        self.stopSilenceTimer()
        source.finish(UpstreamTransportError.closedMidBody)
        self.state = .closed
        self.context?.close(promise: nil)
    }
}

/// The body consumer's demand, carried to the connection's event loop.
struct BodyDemand: NIOAsyncSequenceProducerDelegate {
    let handler: NIOLoopBound<UpstreamConnectionHandler>
    let request: UInt64

    /// On the connection's event loop (the relay's task runs there: the pool leases a connection
    /// on the caller's loop) the read is let through at once, with no closure scheduled.
    func produceMore() {
        let handler = self.handler
        let request = self.request
        if handler.eventLoop.inEventLoop {
            handler.value.demanded(request: request)
        } else {
            handler.eventLoop.execute { handler.value.demanded(request: request) }
        }
    }

    func didTerminate() {
        let handler = self.handler
        let request = self.request
        handler.eventLoop.execute { handler.value.consumerLeft(request: request) }
    }
}
