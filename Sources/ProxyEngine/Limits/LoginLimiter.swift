/// Logins: the same user logging in again within `cacheSeconds` gets the token already issued
/// (so a script that logs in per call does not mint a token per call), and failed logins are
/// throttled per username and per client address so passwords cannot be guessed at line rate.
///
/// An attempt counts when it starts, before the password is checked: parallel guesses cannot
/// all pass the throttle while the first ones are still being verified. A success takes its
/// count back. Password checks (scrypt, tens of milliseconds of a core each) are capped at
/// `maximumConcurrentVerifications`, so unauthenticated callers cannot take every core.
///
/// Usernames and addresses are the caller's to choose: both maps are bounded (`BoundedMap`).
public actor LoginLimiter {
    public struct Throttled: Error, Sendable {
        public let retryAfterSeconds: Int
    }

    /// A started attempt: hand it back to `succeeded` or `failed`.
    public struct Attempt: Sendable {
        let username: String
        let address: String
    }

    public let cacheSeconds: Double
    /// Attempts allowed per username, and per address, within `failureWindowSeconds`.
    public let maximumFailures: Int
    public let failureWindowSeconds: Double
    public let maximumConcurrentVerifications: Int
    private let now: @Sendable () -> Double
    private var issued: [String: (token: String, at: Double, expiresAt: Double)] = [:]
    private var attempts: BoundedMap<[Double]>
    private var verifying = 0

    public init(
        cacheSeconds: Double,
        maximumFailures: Int = 5,
        failureWindowSeconds: Double = 60,
        maximumConcurrentVerifications: Int = 4,
        trackedNames: Int = 10_000,
        now: @escaping @Sendable () -> Double
    ) {
        self.cacheSeconds = cacheSeconds
        self.maximumFailures = maximumFailures
        self.failureWindowSeconds = failureWindowSeconds
        self.maximumConcurrentVerifications = maximumConcurrentVerifications
        self.attempts = BoundedMap(capacity: trackedNames, maximumAge: failureWindowSeconds)
        self.now = now
    }

    /// Starts an attempt, or throws when `username` or `address` failed too often lately, or
    /// when too many passwords are being checked already.
    public func begin(username: String, address: String) throws(Throttled) -> Attempt {
        let now = self.now()
        var wait = 0.0
        let keys = ["user:" + username, "addr:" + address]
        for key in keys {
            let recent = self.recent(key, now: now)
            if recent.count >= self.maximumFailures, let oldest = recent.first {
                wait = max(wait, self.failureWindowSeconds - (now - oldest))
            }
        }
        if wait > 0 { throw Throttled(retryAfterSeconds: max(1, Int(wait.rounded(.up)))) }
        guard self.verifying < self.maximumConcurrentVerifications else { throw Throttled(retryAfterSeconds: 1) }
        self.verifying += 1
        for key in keys {
            self.attempts.update(key, now: now, initial: []) { times in
                times.append(now)
                if times.count > self.maximumFailures { times.removeFirst(times.count - self.maximumFailures) }
            }
        }
        return Attempt(username: username, address: address)
    }

    /// The attempt's password was wrong: its count stays.
    public func failed(_ attempt: Attempt) {
        self.verifying = max(0, self.verifying - 1)
    }

    /// The attempt succeeded: its count is taken back, and the user's failures forgotten.
    public func succeeded(_ attempt: Attempt) {
        self.verifying = max(0, self.verifying - 1)
        let now = self.now()
        self.attempts.set("user:" + attempt.username, nil, now: now)
        self.attempts.update("addr:" + attempt.address, now: now, initial: []) { times in
            if !times.isEmpty { times.removeLast() }
        }
    }

    /// Names (usernames and addresses) with recent attempts: bounded, whatever callers send.
    public var trackedCount: Int { self.attempts.count }

    private func recent(_ key: String, now: Double) -> [Double] {
        (self.attempts.value(key, now: now) ?? []).filter { now - $0 < self.failureWindowSeconds }
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

    /// Remembers a token just issued to a configured user.
    public func issued(_ token: String, to username: String, expiresAt: Double) {
        if self.cacheSeconds > 0 {
            self.issued[username] = (token, self.now(), expiresAt)
        }
    }
}
