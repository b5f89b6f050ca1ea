import FoundationEssentials

/// An upstream account's standing in its pool. A 429 cools it down until the reset time its
/// upstream gave; `failuresToOpen` failures in a row open its circuit; when the open period
/// ends, one probe goes through: success closes the circuit, failure opens it again for twice as
/// long (up to `longestOpenSeconds`). A 401/403 takes it out until an operator enables it.
public enum AccountState: Sendable, Equatable {
    case healthy(consecutiveFailures: Int)
    case coolingDown(until: Double, consecutiveFailures: Int)
    /// The circuit is open until `until`; `attempt` counts the openings since it last closed.
    case open(until: Double, attempt: Int)
    /// The circuit's open period is over and its one probe is out.
    case probing(attempt: Int)
    case refused

    public static let failuresToOpen = 5
    public static let firstOpenSeconds = 30.0
    public static let longestOpenSeconds = 300.0

    public static let fresh = AccountState.healthy(consecutiveFailures: 0)

    /// How long the circuit stays open on its `attempt`-th opening in a row.
    public static func openSeconds(attempt: Int) -> Double {
        min(Self.longestOpenSeconds, Self.firstOpenSeconds * Double(1 << min(max(0, attempt - 1), 16)))
    }

    /// Whether a new attempt may be given to the account.
    public func isAvailable(now: Double) -> Bool {
        switch self {
        case .healthy: true
        case .coolingDown(let until, _), .open(let until, _): now >= until
        case .probing, .refused: false
        }
    }

    /// An attempt was given to the (available) account: a half-open circuit's is its probe.
    public mutating func attemptStarted(now: Double) {
        switch self {
        case .coolingDown(let until, let failures) where now >= until: self = .healthy(consecutiveFailures: failures)
        case .open(let until, let attempt) where now >= until: self = .probing(attempt: attempt)
        default: break
        }
    }

    /// An attempt's one verdict. An attempt that began before the account's state changed (a
    /// request in flight when the circuit opened) may end after; its verdict still counts, but a
    /// late failure does not open a circuit again.
    public mutating func record(_ verdict: AccountVerdict, now: Double) {
        switch (self, verdict) {
        case (.refused, _):
            break
        case (.probing(let attempt), .cancelled):
            self = .open(until: now, attempt: attempt)
        case (_, .cancelled):
            break
        case (_, .refused):
            self = .refused
        case (.coolingDown(let until, _), .success):
            self = .coolingDown(until: until, consecutiveFailures: 0)
        case (_, .success):
            self = .fresh
        case (.healthy(let failures), .rateLimited(let seconds)):
            self = .coolingDown(until: now + max(1, seconds), consecutiveFailures: failures)
        case (.coolingDown(let until, let failures), .rateLimited(let seconds)):
            self = .coolingDown(until: max(until, now + max(1, seconds)), consecutiveFailures: failures)
        case (.open(let until, let attempt), .rateLimited(let seconds)):
            self = .open(until: max(until, now + max(1, seconds)), attempt: attempt)
        case (.probing(let attempt), .rateLimited(let seconds)):
            // Probed again once the upstream's reset time has passed.
            self = .open(until: now + max(1, seconds), attempt: attempt)
        case (.healthy(let failures), .failed):
            self =
                failures + 1 >= Self.failuresToOpen
                ? .open(until: now + Self.openSeconds(attempt: 1), attempt: 1)
                : .healthy(consecutiveFailures: failures + 1)
        case (.coolingDown(let until, let failures), .failed):
            self =
                failures + 1 >= Self.failuresToOpen
                ? .open(until: max(until, now + Self.openSeconds(attempt: 1)), attempt: 1)
                : .coolingDown(until: until, consecutiveFailures: failures + 1)
        case (.open, .failed):
            break
        case (.probing(let attempt), .failed):
            self = .open(until: now + Self.openSeconds(attempt: attempt + 1), attempt: attempt + 1)
        }
    }

    /// Why the account is out of rotation (or half-open), for operators.
    public func reason(now: Double) -> String? {
        switch self {
        case .healthy: nil
        case .coolingDown(let until, _): now < until ? "rate limited" : nil
        case .open(let until, _): now < until ? "circuit open" : "half-open"
        case .probing: "half-open"
        case .refused: "refused (401/403)"
        }
    }

    /// When a cooldown or an open circuit ends, while one lasts.
    public func until(now: Double) -> Double? {
        switch self {
        case .coolingDown(let until, _), .open(let until, _): now < until ? until : nil
        case .healthy, .probing, .refused: nil
        }
    }
}
