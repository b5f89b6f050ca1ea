import NIOCore
import NIOSSL
import Synchronization

/// The keep-alive connections to one upstream host, kept per event loop: a request takes a
/// connection that lives on its own client connection's event loop when one is idle there, so
/// the upstream's bytes are read on the thread that writes them to the client.
///
/// The state is touched on every request from every event loop, briefly and without I/O, so a
/// `Mutex` guards it (an actor would add a hop per request); continuations are resumed and
/// connections closed outside the lock.
final class ConnectionPool: Sendable {
    let endpoint: UpstreamEndpoint
    let configuration: UpstreamTransport.Configuration
    private let eventLoopGroup: any EventLoopGroup
    private let tls: NIOSSLContext?
    private let state: Mutex<ConnectionPoolState>
    private let sweep: Mutex<RepeatedTask?> = Mutex(nil)
    /// Callers waiting for the open connections to fall to a number (tests wait on it).
    private let closeObservers = Mutex<[(atMost: Int, continuation: CheckedContinuation<Void, Never>)]>([])

    init(
        endpoint: UpstreamEndpoint, configuration: UpstreamTransport.Configuration, eventLoopGroup: any EventLoopGroup,
        tls: NIOSSLContext?
    ) {
        self.endpoint = endpoint
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.tls = tls
        self.state = Mutex(ConnectionPoolState(maximumConnections: configuration.maximumConnectionsPerHost))
    }

    /// A connection to send one request on: an idle one, a new one, or one given back by another
    /// request when the host is at its maximum.
    /// `eventLoop` is the caller's; `nil` takes an idle connection on any loop.
    func lease(on preferred: (any EventLoop)?) async throws -> (connection: UpstreamConnection, isReused: Bool) {
        let loop = preferred.map { ObjectIdentifier($0) }
        var step = self.state.withLock { $0.lease(on: loop) }
        let eventLoop = preferred ?? self.eventLoopGroup.any()
        if case .wait = step { step = try await self.waitForConnection(on: eventLoop, preferring: loop) }
        switch step {
        case .reuse(let connection): return (connection, true)
        case .connect: return (try await self.connect(on: eventLoop), false)
        case .refuse, .wait: throw UpstreamTransportError.shutDown
        }
    }

    /// A new connection, not from the pool (the one retry after a stale pooled connection).
    func connectFresh(on eventLoop: any EventLoop) async throws -> UpstreamConnection {
        guard self.state.withLock({ $0.openForRetry() }) else { throw UpstreamTransportError.shutDown }
        return try await self.connect(on: eventLoop)
    }

    private func connect(on eventLoop: any EventLoop) async throws -> UpstreamConnection {
        do {
            return try await UpstreamConnection.connect(
                to: self.endpoint,
                on: eventLoop,
                timeout: self.configuration.connectTimeout,
                tls: self.tls,
                lifecycle: { [self] id in
                    .init(onIdle: { self.connectionIdle(id) }, onClose: { self.connectionClosed(id) })
                },
                register: { [self] connection in
                    if !self.state.withLock({ $0.register(connection) }) { connection.close() }
                }
            )
        } catch {
            self.state.withLock { $0.connectFailed() }?.resume(returning: .connect)
            throw error
        }
    }

    /// Queues for a connection when the host is at its maximum, for at most the connect timeout.
    private func waitForConnection(
        on eventLoop: any EventLoop, preferring loop: ObjectIdentifier?
    ) async throws -> ConnectionPoolState.Step {
        let id = self.state.withLock { $0.nextWaiterID() }
        let timeout = eventLoop.scheduleTask(in: self.configuration.connectTimeout) {
            self.state.withLock { $0.removeWaiter(id, reason: UpstreamTransportError.poolTimeout) }?
                .resume(throwing: UpstreamTransportError.poolTimeout)
        }
        defer {
            timeout.cancel()
            self.state.withLock { $0.forgetWaiter(id) }
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (waiter: ConnectionPoolState.Waiter) in
                do {
                    if let step = try self.state.withLock({ try $0.leaseOrWait(on: loop, id: id, waiter) }) {
                        waiter.resume(returning: step)
                    }
                } catch {
                    waiter.resume(throwing: error)
                }
            }
        } onCancel: {
            self.state.withLock { $0.removeWaiter(id, reason: CancellationError()) }?.resume(throwing: CancellationError())
        }
    }

    private func connectionIdle(_ id: ObjectIdentifier) {
        switch self.state.withLock({ $0.connectionIdle(id, now: .now()) }) {
        case .handOver(let waiter, let connection): waiter.resume(returning: .reuse(connection))
        case .close(let connection): connection.close()
        case .keep: self.startSweepingIfNeeded()
        }
    }

    private func connectionClosed(_ id: ObjectIdentifier) {
        self.state.withLock { $0.connectionClosed(id) }?.resume(returning: .connect)
        let ready = self.closeObservers.withLock { observers in
            let open = self.openConnections
            let ready = observers.filter { open <= $0.atMost }
            observers.removeAll { open <= $0.atMost }
            return ready
        }
        for observer in ready { observer.continuation.resume() }
    }

    /// Returns once at most `count` connections are open.
    func waitForOpenConnections(atMost count: Int) async {
        await withCheckedContinuation { continuation in
            let isReady = self.closeObservers.withLock { observers in
                guard self.openConnections > count else { return true }
                observers.append((count, continuation))
                return false
            }
            if isReady { continuation.resume() }
        }
    }

    /// Idle connections are closed after `idleTimeout` by one timer per pool, started with the
    /// first idle connection: a timer per release would cost allocations on every request.
    private func startSweepingIfNeeded() {
        self.sweep.withLock { sweep in
            guard sweep == nil else { return }
            let interval = TimeAmount.nanoseconds(max(50_000_000, self.configuration.idleTimeout.nanoseconds / 4))
            sweep = self.eventLoopGroup.any().scheduleRepeatedTask(initialDelay: interval, delay: interval) { [weak self] _ in
                guard let self else { return }
                let cutoff = NIODeadline.now() - self.configuration.idleTimeout
                for connection in self.state.withLock({ $0.expireIdle(olderThan: cutoff) }) { connection.close() }
            }
        }
    }

    /// Closes every idle connection and refuses new leases; requests in flight run to their end.
    func shutdown() {
        self.sweep.withLock { $0?.cancel() }
        let (idle, waiters) = self.state.withLock { $0.shutdown() }
        for connection in idle { connection.close() }
        for waiter in waiters { waiter.resume(throwing: UpstreamTransportError.shutDown) }
    }

    /// Connections open, in use or idle (tests read it).
    var openConnections: Int { self.state.withLock { $0.open } }
}
