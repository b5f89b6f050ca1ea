import Synchronization

/// What one admitted request holds: its concurrency slot, its place in the per-minute windows
/// and its count in the monthly quota. It ends once, by `finish(usage:)` when the request was
/// served (tokens counted, slot freed) or by `refund()` when it never reached a provider
/// (everything given back).
public final class AdmissionTicket: Sendable {
    struct MinuteWindow: Sendable {
        let limiter: MinuteLimiter
        let user: String
        let countsRequests: Bool
        let countsTokens: Bool

        func refund() {
            if self.countsRequests { self.limiter.refund(user: self.user) }
        }
    }

    struct QuotaCount: Sendable {
        let manager: QuotaManager
        let subject: String
        let grant: QuotaManager.Grant
    }

    private let slot: ConcurrencySlot
    private let minute: MinuteWindow?
    private let quota: QuotaCount?
    private let shared: SharedLease?
    private let isFinished = Atomic<Bool>(false)

    init(slot: ConcurrencySlot, minute: MinuteWindow?, quota: QuotaCount?, shared: SharedLease? = nil) {
        self.slot = slot
        self.minute = minute
        self.quota = quota
        self.shared = shared
    }

    /// Frees the concurrency slot before the request ends: a stream's last event is about to
    /// leave, and its client may send the next request as soon as it reads it.
    public func releaseSlot() {
        self.slot.release()
        self.shared?.release()
    }

    /// The worst case the request reserved of its quota and budget, when it reserves: its
    /// output allowance goes upstream as its `max_tokens` when clamped.
    public var reservation: QuotaReservation? { self.quota?.grant.reservation }

    /// The request was served: its reported (or estimated) tokens and their cost (in
    /// micro-dollars) count, settling its reservation, and its slot is free. What its quota was
    /// charged (never past the reservation); nil when it ended already.
    @discardableResult
    public func finish(usage: TokenUsage?, microdollars: Int = 0) -> (tokens: Int, microdollars: Int)? {
        guard !self.isFinished.exchange(true, ordering: .acquiringAndReleasing) else { return nil }
        self.slot.release()
        self.shared?.release()
        let total = usage?.total ?? 0
        var charged = (tokens: total, microdollars: microdollars)
        if let quota = self.quota {
            charged = quota.manager.settle(quota.grant, tokens: total, microdollars: microdollars, subject: quota.subject)
        }
        guard total > 0 else { return charged }
        if let minute = self.minute, minute.countsTokens { minute.limiter.record(tokens: total, user: minute.user) }
        self.shared?.record(tokens: total)
        return charged
    }

    /// The request never reached a provider: it costs its caller nothing.
    public func refund() {
        guard !self.isFinished.exchange(true, ordering: .acquiringAndReleasing) else { return }
        self.slot.release()
        self.shared?.release(refundingMinute: true)
        if let quota = self.quota { quota.manager.refund(subject: quota.subject, quota.grant) }
        self.minute?.refund()
    }
}
