/// When a request's exchange tries another account, and how long it waits first: an answer
/// whose verdict is not a success is tried again on another account of the pool, up to
/// `maxRetries` more attempts, each after an exponential backoff with full jitter. All of it
/// happens before the first byte reaches the client. Without a pool there is no other account.
public struct RetryPolicy: Sendable, Equatable {
    public let maxRetries: Int
    public let hasPool: Bool

    public static let backoffBase = 0.05
    public static let backoffCap = 2.0

    public init(maxRetries: Int, hasPool: Bool) {
        self.maxRetries = maxRetries
        self.hasPool = hasPool
    }

    /// The longest wait before attempt `attempt` (0 is the first): the wait is drawn from
    /// `0...` this.
    public static func backoffCeiling(beforeAttempt attempt: Int) -> Double {
        attempt <= 0 ? 0 : min(Self.backoffCap, Self.backoffBase * Double(1 << min(attempt, 10)))
    }

    public enum Decision: Sendable, Equatable {
        /// Relay this answer to the client.
        case relay
        /// Keep it as the last answer and try another account.
        case tryAnother
    }

    /// What becomes of an answer whose account got `verdict`, on attempt `attempt`.
    public func decision(after verdict: AccountVerdict, attempt: Int) -> Decision {
        if case .success = verdict { return .relay }
        return self.retriesFailures(after: attempt) ? .tryAnother : .relay
    }

    /// Whether a failure on attempt `attempt` (an answer or a broken connection) is tried again.
    public func retriesFailures(after attempt: Int) -> Bool { self.hasPool && attempt < self.maxRetries }
}
