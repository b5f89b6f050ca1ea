import Synchronization

/// One attempt's hold on an upstream account, from `AccountPool.select` until its one verdict:
/// after the whole body was read, or the stream ended, or the attempt failed. While it is held
/// the attempt counts in the account's in-flight attempts (what `least_busy` compares).
public final class AccountLease: Sendable {
    public let pool: AccountPool
    public let account: Int
    /// The request's attempt number, from 0.
    public let attempt: Int
    private let ended = Atomic<Bool>(false)

    init(pool: AccountPool, account: Int, attempt: Int) {
        self.pool = pool
        self.account = account
        self.attempt = attempt
    }

    public var name: String { self.pool.names[self.account] }

    /// Gives the attempt's verdict; only the first counts. Returns whether the account is still
    /// in rotation (nil when the lease had already ended).
    @discardableResult
    public func end(_ verdict: AccountVerdict) -> Bool? {
        guard !self.ended.exchange(true, ordering: .acquiringAndReleasing) else { return nil }
        return self.pool.end(self.account, verdict)
    }

    deinit {
        // The safety net, never the plan: a path that dropped its lease (a response whose body
        // was never written) must not count against the account's in-flight attempts for ever.
        if !self.ended.exchange(true, ordering: .acquiringAndReleasing) { _ = self.pool.end(self.account, .cancelled) }
    }
}
