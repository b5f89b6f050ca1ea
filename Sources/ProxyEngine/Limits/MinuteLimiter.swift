import Synchronization

/// Per-user sliding one-minute windows: `requests_per_minute` and `tokens_per_minute` of the
/// user's tier (0 = unlimited). Tokens are counted from the upstream's reported usage, after
/// the answer; a user whose last minute already holds the limit is refused until enough of it
/// slides out.
///
/// Consulted by every request of a tier with a per-minute limit: a `Mutex` around the windows
/// (STYLE §2), so that admission costs no actor hop.
public final class MinuteLimiter: Sendable {
    public static let window = 60.0
    private let now: @Sendable () -> Double
    private let windows = Mutex(Windows())

    fileprivate struct Windows {
        var requests: [String: [Double]] = [:]
        var tokens: [String: [(at: Double, count: Int)]] = [:]
    }

    public init(now: @escaping @Sendable () -> Double) {
        self.now = now
    }

    /// Admits one request of `user` under `tier`'s limits, or throws 429 with the wait.
    public func admit(user: String, tier: QuotaTier) throws(GatewayError) {
        guard tier.requestsPerMinute > 0 || tier.tokensPerMinute > 0 else { return }
        let now = self.now()
        try self.windows.withLock { (windows) throws(GatewayError) in try windows.admit(user: user, tier: tier, now: now) }
    }

    /// Takes back the request `admit` counted last for `user` (refused before any upstream attempt).
    public func refund(user: String) {
        self.windows.withLock { windows in
            guard var recent = windows.requests[user], !recent.isEmpty else { return }
            recent.removeLast()
            windows.requests[user] = recent
        }
    }

    /// Counts tokens a user's answer used.
    public func record(tokens count: Int, user: String) {
        guard count > 0 else { return }
        let now = self.now()
        self.windows.withLock { $0.tokens[user, default: []].append((now, count)) }
    }
}

extension MinuteLimiter.Windows {
    /// Entries are kept in time order, so the expired ones are a prefix; each list is changed in
    /// place, never copied.
    fileprivate mutating func admit(user: String, tier: QuotaTier, now: Double) throws(GatewayError) {
        let window = MinuteLimiter.window
        if tier.tokensPerMinute > 0 {
            let wait = Self.tokensWait(in: &self.tokens[user, default: []], limit: tier.tokensPerMinute, now: now, window: window)
            if let wait {
                throw .tokensPerMinuteReached(retryAfterSeconds: Int(wait.rounded(.up)))
            }
        }
        if tier.requestsPerMinute > 0 {
            // Taken out and put back: a list the dictionary still held would be copied.
            var recent = self.requests.removeValue(forKey: user) ?? []
            recent.removeFirst(recent.prefix { now - $0 >= window }.count)
            defer { self.requests[user] = recent }
            if recent.count >= tier.requestsPerMinute, let oldest = recent.first {
                let wait = window - (now - oldest)
                throw .requestsPerMinuteReached(retryAfterSeconds: Int(wait.rounded(.up)))
            }
            recent.append(now)
        }
    }

    /// How long until enough old usage leaves the window to go under `limit`; nil when under it.
    private static func tokensWait(in recent: inout [(at: Double, count: Int)], limit: Int, now: Double, window: Double) -> Double? {
        recent.removeFirst(recent.prefix { now - $0.at >= window }.count)
        var used = recent.reduce(0) { $0 + $1.count }
        guard used >= limit else { return nil }
        for entry in recent {
            used -= entry.count
            if used < limit { return window - (now - entry.at) }
        }
        return window
    }
}
