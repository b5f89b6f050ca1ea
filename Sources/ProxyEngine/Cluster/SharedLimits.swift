/// The limits several gateway instances share through one store (PostgreSQL): per-credential
/// slots, per-minute windows and monthly quota leases. A store only one process uses (SQLite)
/// has none, and every limit is decided in that process's memory.
///
/// Every call may fail when the store is away; the callers then fall back to what this instance
/// knows (see `Admission` and `QuotaManager`), so the database is never a single point of failure
/// for serving.
public protocol SharedLimits: Sendable {
    /// Whether the store answered its last call; a call made while it is known to be away fails
    /// at once instead of waiting for a connect timeout.
    var isAvailable: Bool { get }

    /// Takes a slot and a place in the minute windows, when `request` has a limit of either kind:
    /// a free slot of this instance's share costs no round trip, anything else one.
    func admit(_ request: SharedAdmissionRequest) async throws -> SharedAdmissionDecision

    /// Frees a slot (and, for a request that never reached a provider, its place in the request
    /// window). Never waits for the store: what must be written is queued.
    func release(_ lease: SharedLeaseID, refundingMinute: Bool)

    /// Adds tokens an answer used to the user's shared token window. Queued, not awaited.
    func recordMinuteTokens(user: String, tokens: Int)

    /// Reserves a block of `subject`'s remaining monthly requests for this instance.
    func leaseQuota(subject: String, period: String, limit: Int) async throws -> QuotaLease

    /// Reserves `tokens` and `microdollars` (each 0 when the subject has no such limit) of
    /// `subject`'s month when both fit under `limits`, atomically across instances; answers
    /// what remains either way. Given back (settled) by `report`.
    func reserve(subject: String, period: String, tokens: Int, microdollars: Int, limits: QuotaManager.Limits) async throws
        -> SharedReservationAnswer

    /// Writes what this instance counted that the store has not (tokens, requests admitted
    /// while the store was away) and gives back unused lease units; answers every reported
    /// subject's counts as the store now holds them.
    func report(_ report: QuotaReport) async throws -> [String: SharedQuotaCounts]

    /// Asks the other instances to give back their unused units of `subject` (this one found
    /// none left to lease). Queued, not awaited.
    func quotaExhausted(subject: String)
}

/// A request's place in the shared limits, when it has any.
public struct SharedAdmissionRequest: Sendable {
    public var credential: String
    public var concurrencyLimit: Int
    public var user: String
    public var requestsPerMinute: Int
    public var tokensPerMinute: Int

    public init(credential: String, concurrencyLimit: Int, user: String, requestsPerMinute: Int, tokensPerMinute: Int) {
        self.credential = credential
        self.concurrencyLimit = concurrencyLimit
        self.user = user
        self.requestsPerMinute = requestsPerMinute
        self.tokensPerMinute = tokensPerMinute
    }

    public var hasLimit: Bool { self.concurrencyLimit > 0 || self.requestsPerMinute > 0 || self.tokensPerMinute > 0 }
}

public enum SharedAdmissionDecision: Sendable, Equatable {
    case admitted(SharedLeaseID)
    /// The credential already has `concurrencyLimit` requests in flight across instances.
    case concurrencyFull
    case requestsPerMinute(retryAfterSeconds: Int)
    case tokensPerMinute(retryAfterSeconds: Int)
}

/// One admitted request's row in the shared slot and window tables.
public struct SharedLeaseID: Sendable, Hashable {
    public var value: String
    public init(_ value: String) { self.value = value }
}

/// One subject's month as the shared store holds it.
public struct SharedQuotaCounts: Sendable, Equatable {
    /// Every unit any instance has leased: what admission is bounded by.
    public var reserved: Int
    /// Requests the instances have reported as admitted, tokens as used and their cost: what
    /// callers see.
    public var used: QuotaManager.Usage
    /// What requests in flight on every instance reserved (see `QuotaReservation`).
    public var reservedTokens: Int
    public var reservedMicrodollars: Int

    public init(reserved: Int, used: QuotaManager.Usage, reservedTokens: Int = 0, reservedMicrodollars: Int = 0) {
        self.reserved = reserved
        self.used = used
        self.reservedTokens = reservedTokens
        self.reservedMicrodollars = reservedMicrodollars
    }
}

/// The shared store's answer to a reservation.
public struct SharedReservationAnswer: Sendable, Equatable {
    public var granted: Bool
    /// What remains of the limits after the reservation (or without it, when refused).
    public var remainingTokens: Int
    public var remainingMicrodollars: Int

    public init(granted: Bool, remainingTokens: Int, remainingMicrodollars: Int) {
        self.granted = granted
        self.remainingTokens = remainingTokens
        self.remainingMicrodollars = remainingMicrodollars
    }
}

/// Requests of one subject's month reserved for this instance.
public struct QuotaLease: Sendable, Equatable {
    /// How many units this instance may admit (0: none left).
    public var granted: Int
    /// The subject's month as the store holds it after the grant.
    public var counts: SharedQuotaCounts

    public init(granted: Int, counts: SharedQuotaCounts) {
        self.granted = granted
        self.counts = counts
    }
}

/// What one instance writes to the shared quota counts.
public struct QuotaReport: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        /// Requests admitted from a lease since the last report, to add to those used.
        public var consumed = 0
        /// Requests admitted without a lease (while the store was away), to add to both the
        /// reserved and the used counts.
        public var requests = 0
        /// Tokens reported by upstreams, to add.
        public var tokens = 0
        /// Unused lease units given back, to subtract.
        public var returnedUnits = 0
        /// What the tokens cost, to add.
        public var microdollars = 0
        /// Reservations settled or refunded, to subtract from the reserved counts.
        public var releasedTokens = 0
        public var releasedMicrodollars = 0

        public init(
            consumed: Int = 0, requests: Int = 0, tokens: Int = 0, returnedUnits: Int = 0, microdollars: Int = 0, releasedTokens: Int = 0,
            releasedMicrodollars: Int = 0
        ) {
            self.consumed = consumed
            self.requests = requests
            self.tokens = tokens
            self.returnedUnits = returnedUnits
            self.microdollars = microdollars
            self.releasedTokens = releasedTokens
            self.releasedMicrodollars = releasedMicrodollars
        }
    }

    public var period: String
    public var entries: [String: Entry]

    public init(period: String, entries: [String: Entry]) {
        self.period = period
        self.entries = entries
    }
}
