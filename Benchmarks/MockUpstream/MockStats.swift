import NIOCore
import Synchronization

/// What the mock upstream has seen, for tests to assert on and to await without sleeping.
public final class MockStats: Sendable {
    public struct Snapshot: Sendable, Equatable {
        public var requests = 0
        public var streamsStarted = 0
        public var streamsCompleted = 0
        /// Streams whose client (the gateway) went away before the end.
        public var streamsCancelled = 0
        public var active = 0
        /// Answer body bytes the sockets have taken (with `application(countingSentBytes: true)`).
        public var bodyBytesSent = 0
        /// Connections closed, by either side (with `application(countingSentBytes: true)`).
        public var connectionsClosed = 0
        public var lastAuthorization: String?
        /// Lowercased header names of the last request.
        public var lastHeaderNames: [String] = []
        /// Every header of the last request, names lowercased.
        public var lastHeaders: [String: String] = [:]
        /// The last request's path and query.
        public var lastPath: String?
        /// The last request's body, kept as received: a megabyte body costs no copy per request.
        public var lastBodyBytes: ByteBuffer?
        public var lastBody: String? { self.lastBodyBytes.map { String(buffer: $0) } }
        /// Requests by the key they were sent with.
        public var requestsByKey: [String: Int] = [:]
        /// Calls to the OAuth token endpoint, by grant type.
        public var oauthRefreshes = 0
        /// Refresh tokens already used (with single-use refresh tokens).
        public var usedRefreshTokens: Set<String> = []
        public var oauthCodeExchanges = 0
    }

    private struct State {
        var snapshot = Snapshot()
        var nextID = 0
        var waiters: [Int: (predicate: @Sendable (Snapshot) -> Bool, continuation: CheckedContinuation<Void, any Error>)] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    public var snapshot: Snapshot { self.state.withLock { $0.snapshot } }

    func update(_ change: (inout Snapshot) -> Void) {
        let ready = self.state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            change(&state.snapshot)
            let snapshot = state.snapshot
            let met = state.waiters.filter { $0.value.predicate(snapshot) }
            for id in met.keys { state.waiters[id] = nil }
            return met.values.map(\.continuation)
        }
        for continuation in ready { continuation.resume() }
    }

    /// Returns once `predicate` holds for the stats (at once if it already does); throws
    /// `CancellationError` when the caller is cancelled first (a test's time limit), so a wait
    /// for something that never happens fails its test instead of hanging the run.
    public func wait(until predicate: @escaping @Sendable (Snapshot) -> Bool) async throws {
        let id = self.state.withLock { state -> Int in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome = self.state.withLock { state -> Result<Void, any Error>? in
                    if predicate(state.snapshot) { return .success(()) }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    state.waiters[id] = (predicate, continuation)
                    return nil
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            let waiter = self.state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }
}

/// Named gates a streamed answer can wait at (`x-mock-hold: NAME`), so a test decides when the
/// upstream goes on: "the client saw the first event while the upstream was still held".
public final class MockGates: Sendable {
    private struct State {
        var open: Set<String> = []
        var nextID = 0
        var waiters: [String: [Int: CheckedContinuation<Void, any Error>]] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    public func open(_ name: String) {
        let waiters = self.state.withLock { state in
            state.open.insert(name)
            return state.waiters.removeValue(forKey: name) ?? [:]
        }
        for waiter in waiters.values { waiter.resume() }
    }

    /// Returns when the gate opens; throws `CancellationError` if the task is cancelled first.
    func wait(_ name: String) async throws {
        let id = self.state.withLock { state -> Int in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let isOpen = self.state.withLock { state -> Bool? in
                    if state.open.contains(name) { return true }
                    if Task.isCancelled { return false }
                    state.waiters[name, default: [:]][id] = continuation
                    return nil
                }
                switch isOpen {
                case true?: continuation.resume()
                case false?: continuation.resume(throwing: CancellationError())
                case nil: break
                }
            }
        } onCancel: {
            let waiter = self.state.withLock { $0.waiters[name]?.removeValue(forKey: id) }
            waiter?.resume(throwing: CancellationError())
        }
    }
}
