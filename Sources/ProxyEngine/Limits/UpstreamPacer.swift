/// Paces one provider's upstream calls (`requests_per_second`): each request reserves the next
/// start time `max(now, previous + 1/rate)` and waits for it. Because the wait is known when the
/// request arrives, a full queue (`queue_capacity` waiters) is refused at once with 429 and a
/// wait longer than `queue_timeout_seconds` with 408, without first waiting it out.
public actor UpstreamPacer {
    public nonisolated let requestsPerSecond: Double
    public nonisolated let queueCapacity: Int
    public nonisolated let queueTimeoutSeconds: Double
    private let now: @Sendable () -> Double
    /// Start times reserved and not yet reached, in order.
    private var reserved: [Double] = []
    private var lastStart = -Double.infinity

    public init(requestsPerSecond: Double, queueCapacity: Int, queueTimeoutSeconds: Double, now: @escaping @Sendable () -> Double) {
        self.requestsPerSecond = requestsPerSecond
        self.queueCapacity = queueCapacity
        self.queueTimeoutSeconds = queueTimeoutSeconds
        self.now = now
    }

    /// Seconds to wait before starting this request (0: start now).
    public func reserve() throws(GatewayError) -> Double {
        try self.reserveStart().wait
    }

    /// The wait before this request starts, and its start time (to give back with `giveBack`).
    public func reserveStart() throws(GatewayError) -> (wait: Double, start: Double) {
        guard self.requestsPerSecond > 0 else { return (0, self.now()) }
        let now = self.now()
        self.reserved.removeAll { $0 <= now }
        let start = max(now, self.lastStart + 1 / self.requestsPerSecond)
        let wait = start - now
        if wait > 0 && self.reserved.count >= self.queueCapacity {
            throw .rateLimited("The upstream queue is full.", retryAfterSeconds: max(1, Int(wait.rounded(.up))))
        }
        if wait > self.queueTimeoutSeconds {
            throw .queueTimeout(
                "The upstream queue would hold this request \(Int(wait.rounded(.up))) s, more than its limit of \(formatSeconds(self.queueTimeoutSeconds)) s."
            )
        }
        self.lastStart = start
        if wait > 0 { self.reserved.append(start) }
        return (wait, start)
    }

    /// A waiter left before its start: its place in the queue is free again, and when it was
    /// the last one reserved, the next request may start that much sooner.
    public func giveBack(start: Double) {
        guard let index = self.reserved.firstIndex(of: start) else { return }
        self.reserved.remove(at: index)
        if start == self.lastStart { self.lastStart -= 1 / self.requestsPerSecond }
    }
}
