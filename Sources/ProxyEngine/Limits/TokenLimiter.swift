import Synchronization

/// At most `limit` requests in flight per credential (`limits.per_token_concurrency`); the next
/// one is refused at once, not queued. 0 means no limit.
public actor TokenLimiter {
    /// Changed by a configuration reload; the slots held stay held.
    private nonisolated let currentLimit: Atomic<Int>
    private var inFlight: [String: Int] = [:]

    public init(limit: Int) {
        self.currentLimit = Atomic(limit)
    }

    public nonisolated var limit: Int { self.currentLimit.load(ordering: .relaxed) }

    /// A new limit for new requests (a reload); requests in flight keep their slots.
    public nonisolated func setLimit(_ limit: Int) {
        self.currentLimit.store(limit, ordering: .relaxed)
    }

    /// A slot for `credential`, or nil when it already has `limit` requests in flight.
    public func acquire(_ credential: String) -> ConcurrencySlot? {
        let limit = self.limit
        guard limit > 0 else { return ConcurrencySlot(limiter: nil, credential: credential) }
        let current = self.inFlight[credential, default: 0]
        guard current < limit else { return nil }
        self.inFlight[credential] = current + 1
        return ConcurrencySlot(limiter: self, credential: credential)
    }

    fileprivate func release(_ credential: String) {
        guard let current = self.inFlight[credential] else { return }
        if current <= 1 {
            self.inFlight[credential] = nil
        } else {
            self.inFlight[credential] = current - 1
        }
    }

    /// The error a request gets when its credential has no free slot.
    public nonisolated var refusal: GatewayError {
        .rateLimited("This credential already has \(self.limit) request(s) in flight.", retryAfterSeconds: 1)
    }

    /// Requests in flight for `credential`.
    public func count(_ credential: String) -> Int { self.inFlight[credential, default: 0] }
}

/// One admitted request's place under its credential's limit. Released once: by `release()`
/// when the response (the whole stream) ends, fails or its client leaves; if a path forgets,
/// when the last reference goes away.
public final class ConcurrencySlot: Sendable {
    private let limiter: TokenLimiter?
    private let credential: String
    private let released = Atomic<Bool>(false)

    fileprivate init(limiter: TokenLimiter?, credential: String) {
        self.limiter = limiter
        self.credential = credential
    }

    public func release() async {
        guard let limiter = self.limiter, self.takeRelease() else { return }
        await limiter.release(self.credential)
    }

    private func takeRelease() -> Bool {
        !self.released.exchange(true, ordering: .acquiringAndReleasing)
    }

    deinit {
        // The safety net, never the plan: a path that lost its slot without releasing it (the
        // client vanished before the response head was written) must not hold the credential's
        // place for ever. An actor cannot be entered synchronously from deinit.
        if let limiter = self.limiter, self.takeRelease() {
            let credential = self.credential
            Task { await limiter.release(credential) }
        }
    }
}
