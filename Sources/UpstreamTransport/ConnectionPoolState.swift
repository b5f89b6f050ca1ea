import NIOCore

/// The pool's bookkeeping, as a state machine with no I/O: each method says what to do, and
/// `ConnectionPool` does it outside its lock.
struct ConnectionPoolState {
    /// What a request does to get a connection.
    enum Step {
        case reuse(UpstreamConnection)
        case connect
        case wait
        case refuse
    }

    typealias Waiter = CheckedContinuation<Step, any Error>

    /// What to do with a connection whose answer has ended.
    enum IdleAction {
        case keep
        case handOver(Waiter, UpstreamConnection)
        case close(UpstreamConnection)
    }

    private struct Idle {
        var connection: UpstreamConnection
        var since: NIODeadline
    }

    let maximumConnections: Int
    /// Connections open or being opened: never above `maximumConnections` (but for the one
    /// retry after a stale connection, whose stale one is closing).
    private(set) var open = 0
    private var connections: [ObjectIdentifier: UpstreamConnection] = [:]
    /// Idle connections by event loop; the most recently used last (it is taken first, so the
    /// others age out when load falls).
    private var idle: [ObjectIdentifier: [Idle]] = [:]
    private var waiters: [(id: Int, waiter: Waiter)] = []
    /// Waiters cut off (timed out, cancelled) before they were queued, and why.
    private var abandoned: [Int: any Error] = [:]
    private var lastWaiterID = 0
    private var isShutDown = false

    init(maximumConnections: Int) {
        self.maximumConnections = maximumConnections
    }

    /// `loop` is the caller's event loop; `nil` for a caller on none, who takes any idle one.
    mutating func lease(on loop: ObjectIdentifier?) -> Step {
        guard !self.isShutDown else { return .refuse }
        if let loop {
            if let connection = self.takeIdle(on: loop) { return .reuse(connection) }
        } else {
            for other in self.idle.keys {
                if let connection = self.takeIdle(on: other) { return .reuse(connection) }
            }
        }
        if self.open < self.maximumConnections {
            self.open += 1
            return .connect
        }
        for other in self.idle.keys {
            if let connection = self.takeIdle(on: other) { return .reuse(connection) }
        }
        return .wait
    }

    private mutating func takeIdle(on loop: ObjectIdentifier) -> UpstreamConnection? {
        while let last = self.idle[loop]?.popLast() {
            // One the upstream closed is on its way out (its close removes it from `open`).
            if last.connection.channel.isActive { return last.connection }
        }
        return nil
    }

    mutating func nextWaiterID() -> Int {
        self.lastWaiterID += 1
        return self.lastWaiterID
    }

    /// Queues `waiter` unless a connection can be had now (returned: resume with it) or the
    /// waiter was cut off already (thrown).
    mutating func leaseOrWait(on loop: ObjectIdentifier?, id: Int, _ waiter: Waiter) throws -> Step? {
        if let reason = self.abandoned.removeValue(forKey: id) { throw reason }
        let step = self.lease(on: loop)
        guard case .wait = step else { return step }
        self.waiters.append((id, waiter))
        return nil
    }

    /// Takes a waiter out of the queue (it timed out or was cancelled): the caller resumes it.
    mutating func removeWaiter(_ id: Int, reason: any Error) -> Waiter? {
        guard let index = self.waiters.firstIndex(where: { $0.id == id }) else {
            self.abandoned[id] = reason
            return nil
        }
        return self.waiters.remove(at: index).waiter
    }

    /// A waiter that finished without being cut off leaves no trace behind.
    mutating func forgetWaiter(_ id: Int) {
        self.abandoned[id] = nil
    }

    /// Whether the pool takes a new connection (not after shutdown: the caller closes it).
    mutating func register(_ connection: UpstreamConnection) -> Bool {
        guard !self.isShutDown else {
            self.open -= 1
            return false
        }
        self.connections[connection.id] = connection
        return true
    }

    /// The one retry after a stale pooled connection opens a connection without waiting.
    mutating func openForRetry() -> Bool {
        guard !self.isShutDown else { return false }
        self.open += 1
        return true
    }

    mutating func connectFailed() -> Waiter? {
        self.open -= 1
        return self.wakeWaiterToConnect()
    }

    mutating func connectionIdle(_ id: ObjectIdentifier, now: NIODeadline) -> IdleAction {
        guard let connection = self.connections[id] else { return .keep }
        if self.isShutDown { return .close(connection) }
        if !self.waiters.isEmpty { return .handOver(self.waiters.removeFirst().waiter, connection) }
        self.idle[ObjectIdentifier(connection.eventLoop), default: []].append(Idle(connection: connection, since: now))
        return .keep
    }

    mutating func connectionClosed(_ id: ObjectIdentifier) -> Waiter? {
        guard let connection = self.connections.removeValue(forKey: id) else { return nil }
        self.open -= 1
        let loop = ObjectIdentifier(connection.eventLoop)
        self.idle[loop]?.removeAll { $0.connection.id == id }
        return self.wakeWaiterToConnect()
    }

    private mutating func wakeWaiterToConnect() -> Waiter? {
        guard !self.isShutDown, !self.waiters.isEmpty, self.open < self.maximumConnections else { return nil }
        self.open += 1
        return self.waiters.removeFirst().waiter
    }

    /// Takes out the connections idle since before `cutoff`: the caller closes them.
    mutating func expireIdle(olderThan cutoff: NIODeadline) -> [UpstreamConnection] {
        var expired: [UpstreamConnection] = []
        for loop in self.idle.keys {
            self.idle[loop]!.removeAll { idle in
                guard idle.since < cutoff else { return false }
                expired.append(idle.connection)
                return true
            }
        }
        return expired
    }

    mutating func shutdown() -> (idle: [UpstreamConnection], waiters: [Waiter]) {
        self.isShutDown = true
        let idle = self.idle.values.flatMap { $0.map(\.connection) }
        let waiters = self.waiters.map(\.waiter)
        self.idle = [:]
        self.waiters = []
        return (idle, waiters)
    }
}
