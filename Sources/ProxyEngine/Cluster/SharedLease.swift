import Synchronization

/// An admitted request's place in the shared limits (a slot of its instance's share, a row of
/// the minute window), given back once: when the request ends, or, if a path forgets, when the
/// last reference goes away.
public final class SharedLease: Sendable {
    let id: SharedLeaseID
    private let limits: any SharedLimits
    private let user: String
    private let countsTokens: Bool
    private let released = Atomic<Bool>(false)

    init(id: SharedLeaseID, limits: any SharedLimits, user: String, countsTokens: Bool) {
        self.id = id
        self.limits = limits
        self.user = user
        self.countsTokens = countsTokens
    }

    /// Frees the slot; `refundingMinute` also takes the request out of the minute window (it
    /// never reached a provider).
    public func release(refundingMinute: Bool = false) {
        guard !self.released.exchange(true, ordering: .acquiringAndReleasing) else { return }
        self.limits.release(self.id, refundingMinute: refundingMinute)
    }

    func record(tokens: Int) {
        guard self.countsTokens, tokens > 0 else { return }
        self.limits.recordMinuteTokens(user: self.user, tokens: tokens)
    }

    deinit {
        if !self.released.exchange(true, ordering: .acquiringAndReleasing) {
            self.limits.release(self.id, refundingMinute: false)
        }
    }
}
