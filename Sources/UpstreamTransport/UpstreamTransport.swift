import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// The gateway's HTTP/1.1 client for upstream calls, on SwiftNIO's own client codec and TLS:
/// keep-alive pools per (host, event loop), a connect timeout, a cap on connections per host,
/// idle eviction, one retry when a pooled connection turns out closed before any byte of the
/// request was written, back-pressure from the reader to the socket, and cancellation that
/// closes the connection. It follows no redirect and decompresses nothing: answers pass as
/// they came.
///
/// Purpose-built because AsyncHTTPClient measured two thirds of a bare pass-through's cost.
public final class UpstreamTransport: Sendable {
    public struct Configuration: Sendable {
        public var connectTimeout: TimeAmount = .seconds(10)
        /// An LLM stream holds its connection for its whole length: the cap is high.
        public var maximumConnectionsPerHost = 4096
        /// Kept below the usual servers' keep-alive timeouts (5 s for Node and uvicorn) would
        /// avoid most stale connections, but costs reconnects; 60 s matches AsyncHTTPClient's.
        public var idleTimeout: TimeAmount = .seconds(60)
        /// System trust store and hostname verification by default.
        public var tls: TLSConfiguration = .makeClientConfiguration()

        public init() {}
    }

    public let configuration: Configuration
    private let eventLoopGroup: any EventLoopGroup
    private let pools = Mutex<[UpstreamEndpoint: ConnectionPool]>([:])
    private let tlsContext: Mutex<NIOSSLContext?> = Mutex(nil)

    public init(configuration: Configuration = .init(), eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
    }

    /// The client for one upstream host. Callers keep it: a request then costs no lookup.
    public func host(_ endpoint: UpstreamEndpoint) throws -> UpstreamHost {
        var key = endpoint
        key.basePath = ""
        if let pool = self.pools.withLock({ $0[key] }) {
            return UpstreamHost(endpoint: endpoint, pool: pool, eventLoopGroup: self.eventLoopGroup)
        }
        let tls = endpoint.usesTLS ? try self.sharedTLSContext() : nil
        let pool = self.pools.withLock { pools in
            if let existing = pools[key] { return existing }
            let pool = ConnectionPool(endpoint: key, configuration: self.configuration, eventLoopGroup: self.eventLoopGroup, tls: tls)
            pools[key] = pool
            return pool
        }
        return UpstreamHost(endpoint: endpoint, pool: pool, eventLoopGroup: self.eventLoopGroup)
    }

    /// Loading the trust store costs milliseconds: one context serves every host.
    private func sharedTLSContext() throws -> NIOSSLContext {
        try self.tlsContext.withLock { context in
            if let context { return context }
            var tls = self.configuration.tls
            tls.applicationProtocols = ["http/1.1"]
            let made = try NIOSSLContext(configuration: tls)
            context = made
            return made
        }
    }

    /// Closes every idle connection; calls still running finish on their connections.
    public func shutdown() {
        for pool in self.pools.withLock({ Array($0.values) }) { pool.shutdown() }
    }
}

/// Sends requests to one upstream host through its pool.
public struct UpstreamHost: Sendable {
    /// The URL it was made for, with its path (the pool is shared by every path on the host).
    public let endpoint: UpstreamEndpoint
    let pool: ConnectionPool
    let eventLoopGroup: any EventLoopGroup

    /// Sends `method path` with `headers` and `body`, and returns the answer at its head.
    ///
    /// `eventLoop` is the client connection's: the upstream connection is taken from (or opened
    /// on) the same loop. Cancelling the calling task aborts the call and closes its connection.
    public func execute(
        _ method: HTTPMethod = .POST,
        path: String,
        headers: HTTPHeaders,
        body: ByteBuffer = ByteBuffer(),
        on eventLoop: (any EventLoop)? = nil,
        silenceTick: TimeAmount? = nil
    ) async throws -> UpstreamResponse {
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: path, headers: headers)
        head.headers.replaceOrAdd(name: "host", value: self.pool.endpoint.hostHeader)
        if method == .POST || body.readableBytes > 0 {
            head.headers.replaceOrAdd(name: "content-length", value: String(body.readableBytes))
        }
        let (connection, isReused) = try await self.pool.lease(on: eventLoop)
        do {
            return try await connection.send(head, body: body, silenceTick: silenceTick)
        } catch let error as UpstreamTransportError where error == .staleConnection && isReused {
            // Not one byte of the request left: sending it again cannot run it twice.
            let fresh = try await self.pool.connectFresh(on: connection.eventLoop)
            return try await fresh.send(head, body: body, silenceTick: silenceTick)
        }
    }

    /// Open connections to this host (tests read it).
    public var openConnections: Int { self.pool.openConnections }

    /// Returns once at most `count` connections are open: the upstream's closes have been seen.
    public func waitForOpenConnections(atMost count: Int) async {
        await self.pool.waitForOpenConnections(atMost: count)
    }
}
