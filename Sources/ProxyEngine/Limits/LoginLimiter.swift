/// Logins: the same user logging in again within `cacheSeconds` gets the token already issued
/// (so a script that logs in per call does not mint a token per call), and failed logins are
/// throttled per username and per client address so passwords cannot be guessed at line rate.
public actor LoginLimiter {
    public struct Throttled: Error, Sendable {
        public let retryAfterSeconds: Int
    }

    public let cacheSeconds: Double
    /// Failures allowed per username, and per address, within `failureWindowSeconds`.
    public let maximumFailures: Int
    public let failureWindowSeconds: Double
    private let now: @Sendable () -> Double
    private var issued: [String: (token: String, at: Double, expiresAt: Double)] = [:]
    private var failures: [String: [Double]] = [:]

    public init(
        cacheSeconds: Double,
        maximumFailures: Int = 5,
        failureWindowSeconds: Double = 60,
        now: @escaping @Sendable () -> Double
    ) {
        self.cacheSeconds = cacheSeconds
        self.maximumFailures = maximumFailures
        self.failureWindowSeconds = failureWindowSeconds
        self.now = now
    }

    /// Throws when `username` or `address` failed too often lately.
    public func checkAllowed(username: String, address: String) throws(Throttled) {
        let now = self.now()
        var wait = 0.0
        for key in ["user:" + username, "addr:" + address] {
            let recent = (self.failures[key] ?? []).filter { now - $0 < self.failureWindowSeconds }
            self.failures[key] = recent.isEmpty ? nil : recent
            if recent.count >= self.maximumFailures, let oldest = recent.first {
                wait = max(wait, self.failureWindowSeconds - (now - oldest))
            }
        }
        if wait > 0 { throw Throttled(retryAfterSeconds: max(1, Int(wait.rounded(.up)))) }
    }

    public func recordFailure(username: String, address: String) {
        let now = self.now()
        self.failures["user:" + username, default: []].append(now)
        self.failures["addr:" + address, default: []].append(now)
    }

    /// The token issued to `username` within the cache window, if it is still valid.
    public func cachedToken(for username: String) -> String? {
        guard let entry = self.issued[username] else { return nil }
        let now = self.now()
        guard now - entry.at < self.cacheSeconds, now < entry.expiresAt else {
            self.issued[username] = nil
            return nil
        }
        return entry.token
    }

    /// Remembers a token just issued, and forgets the user's failures.
    public func issued(_ token: String, to username: String, expiresAt: Double) {
        self.failures["user:" + username] = nil
        if self.cacheSeconds > 0 {
            self.issued[username] = (token, self.now(), expiresAt)
        }
    }
}
