import NIOCore
import Synchronization

/// One client connection, as far as a request handler cares: has the client gone away?
///
/// Hummingbird does not cancel a handler when its client hangs up, and watching the request
/// body for the close (its `consumeWithCancellationOnInboundClose`) ends the connection's
/// inbound stream, which costs keep-alive. A `ClientHangUpHandler` in the pipeline flips this
/// instead, and the handler's request scope turns it into cancellation.
final class ClientConnection: Sendable {
    private struct State {
        var closed = false
        var nextWatchID = 0
        var watchers: [(id: Int, onClose: @Sendable () -> Void)] = []
    }

    private let state = Mutex(State())

    func markClosed() {
        let watchers = self.state.withLock { state -> [(id: Int, onClose: @Sendable () -> Void)] in
            guard !state.closed else { return [] }
            state.closed = true
            defer { state.watchers = [] }
            return state.watchers
        }
        for watcher in watchers { watcher.onClose() }
    }

    /// Calls `onClose` once when the client goes away (at once if it already has), unless the
    /// returned watch is removed first.
    func onClose(_ onClose: @escaping @Sendable () -> Void) -> Int? {
        let id = self.state.withLock { state -> Int? in
            guard !state.closed else { return nil }
            state.nextWatchID += 1
            state.watchers.append((state.nextWatchID, onClose))
            return state.nextWatchID
        }
        if id == nil { onClose() }
        return id
    }

    func removeOnClose(_ id: Int) {
        self.state.withLock { state in state.watchers.removeAll { $0.id == id } }
    }
}

/// The open client connections, by channel, so a handler finds its own without a hop onto the
/// channel's event loop. Touched on every connect and every request: a `Mutex`, not an actor.
final class ClientConnections: Sendable {
    private let connections = Mutex<[ObjectIdentifier: ClientConnection]>([:])

    func connection(for channel: any Channel) -> ClientConnection? {
        self.connections.withLock { $0[ObjectIdentifier(channel)] }
    }

    fileprivate func register(_ connection: ClientConnection, for channel: any Channel) {
        self.connections.withLock { $0[ObjectIdentifier(channel)] = connection }
    }

    fileprivate func remove(_ channel: any Channel) {
        self.connections.withLock { $0[ObjectIdentifier(channel)] = nil }
    }

    func makeHandler() -> ClientHangUpHandler { ClientHangUpHandler(registry: self) }
}

/// Sits in each client connection's pipeline and tells its `ClientConnection` when the client
/// half-closes (HTTP/1.1 clients only do so when leaving) or the connection drops.
final class ClientHangUpHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = Any
    private let registry: ClientConnections
    private let connection = ClientConnection()

    fileprivate init(registry: ClientConnections) {
        self.registry = registry
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.registry.register(self.connection, for: context.channel)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.connection.markClosed()
        self.registry.remove(context.channel)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, case .inputClosed = event {
            self.connection.markClosed()
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.connection.markClosed()
        self.registry.remove(context.channel)
        context.fireChannelInactive()
    }
}
