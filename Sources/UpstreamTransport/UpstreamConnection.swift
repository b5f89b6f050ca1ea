import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// One keep-alive HTTP/1.1 connection to an upstream, used by one request at a time.
final class UpstreamConnection: Sendable {
    let channel: any Channel
    private let handler: NIOLoopBound<UpstreamConnectionHandler>

    var id: ObjectIdentifier { ObjectIdentifier(self.channel) }
    var eventLoop: any EventLoop { self.channel.eventLoop }

    private init(channel: any Channel, handler: NIOLoopBound<UpstreamConnectionHandler>) {
        self.channel = channel
        self.handler = handler
    }

    /// Opens a connection on `eventLoop` (TLS when the endpoint says so) and hands it to
    /// `register` on that event loop before any event of the connection can reach the pool.
    static func connect(
        to endpoint: UpstreamEndpoint,
        on eventLoop: any EventLoop,
        timeout: TimeAmount,
        tls: NIOSSLContext?,
        lifecycle: @escaping @Sendable (ObjectIdentifier) -> UpstreamConnectionHandler.Lifecycle,
        register: @escaping @Sendable (UpstreamConnection) -> Void
    ) async throws -> UpstreamConnection {
        let serverName = endpoint.serverNameIndication
        // Kept to say why a connection that failed as it opened (a refused TLS handshake) closed,
        // once it has left the pipeline.
        let handlerBox = NIOLoopBoundBox.makeEmptyBox(valueType: UpstreamConnectionHandler.self, eventLoop: eventLoop)
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(timeout)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let tls {
                        try pipeline.addHandler(NIOSSLClientHandler(context: tls, serverHostname: serverName))
                    }
                    // No decompressor and nothing that follows redirects: bytes pass as they came.
                    try pipeline.addHTTPClientHandlers()
                    let handler = UpstreamConnectionHandler(lifecycle: lifecycle(ObjectIdentifier(channel)))
                    handlerBox.value = handler
                    try pipeline.addHandler(handler)
                }
            }
        let connected: EventLoopFuture<UpstreamConnection> = bootstrap.connect(host: endpoint.host, port: endpoint.port)
            .flatMapErrorThrowing { error in
                if case ChannelError.connectTimeout = error { throw UpstreamTransportError.connectTimeout }
                throw error
            }
            .flatMapThrowing { channel in
                // On the connection's event loop: a close cannot slip in before the pool knows it.
                // A busy loop can run this after a TLS handshake has already failed and closed it.
                guard channel.isActive, let handler = handlerBox.value else {
                    throw handlerBox.value?.openingFailure ?? UpstreamTransportError.connectionClosed
                }
                let connection = UpstreamConnection(channel: channel, handler: NIOLoopBound(handler, eventLoop: channel.eventLoop))
                register(connection)
                return connection
            }
        return try await connected.get()
    }

    /// Sends a request and returns its answer at the head. Cancelling the caller closes the
    /// connection, which aborts the upstream's work.
    func send(_ head: HTTPRequestHead, body: ByteBuffer, silenceTick: TimeAmount? = nil) async throws -> UpstreamResponse {
        let promise = self.channel.eventLoop.makePromise(of: UpstreamResponse.self)
        let handler = self.handler
        if self.channel.eventLoop.inEventLoop {
            handler.value.send(head: head, body: body, silenceTick: silenceTick, promise: promise)
        } else {
            self.channel.eventLoop.execute { handler.value.send(head: head, body: body, silenceTick: silenceTick, promise: promise) }
        }
        do {
            return try await withTaskCancellationHandler {
                try await promise.futureResult.get()
            } onCancel: { [channel] in
                channel.close(promise: nil)
            }
        } catch  where Task.isCancelled {
            // The connection failed because the caller closed it: say so, so that a cancelled
            // call is never taken for an upstream that failed.
            throw CancellationError()
        }
    }

    func close() {
        self.channel.close(promise: nil)
    }
}
