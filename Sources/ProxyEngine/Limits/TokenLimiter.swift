import Synchronization

/// At most `limit` requests in flight per credential (`limits.per_token_concurrency`); the next
/// one is refused at once, not queued. 0 means no limit.
///
/// Taken and given back by every request, a dictionary update each: a `Mutex`, not an actor,
/// because an actor hop costs more than the work (~10 µs when it crosses threads, STYLE §2).
public final class TokenLimiter: Sendable {
    /// Changed by a configuration reload; the slots held stay held.
    private let currentLimit: Atomic<Int>
    private let inFlight = Mutex<[String: Int]>([:])

    public init(limit: Int) {
        self.currentLimit = Atomic(limit)
    }

    public var limit: Int { self.currentLimit.load(ordering: .relaxed) }

    /// A new limit for new requests (a reload); requests in flight keep their slots.
    public func setLimit(_ limit: Int) {
        self.currentLimit.store(limit, ordering: .relaxed)
    }

    /// A slot for `credential`, or nil when it already has `limit` requests in flight.
    public func acquire(_ credential: String) -> ConcurrencySlot? {
        let limit = self.limit
        guard limit > 0 else { return ConcurrencySlot(limiter: nil, credential: credential) }
        let admitted = self.inFlight.withLock { inFlight in
            let current = inFlight[credential, default: 0]
            guard current < limit else { return false }
            inFlight[credential] = current + 1
            return true
        }
        return admitted ? ConcurrencySlot(limiter: self, credential: credential) : nil
    }

    fileprivate func release(_ credential: String) {
        self.inFlight.withLock { inFlight in
            guard let current = inFlight[credential] else { return }
            inFlight[credential] = current <= 1 ? nil : current - 1
        }
    }

    /// The error a request gets when its credential has no free slot.
    public var refusal: GatewayError {
        .concurrencyFull(limit: self.limit)
    }

    /// Requests in flight for `credential`.
    public func count(_ credential: String) -> Int { self.inFlight.withLock { $0[credential, default: 0] } }
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

    public func release() {
        guard let limiter = self.limiter, self.takeRelease() else { return }
        limiter.release(self.credential)
    }

    private func takeRelease() -> Bool {
        !self.released.exchange(true, ordering: .acquiringAndReleasing)
    }

    deinit {
        // The safety net, never the plan: a path that lost its slot without releasing it (the
        // client vanished before the response head was written) must not hold the credential's
        // place for ever.
        if let limiter = self.limiter, self.takeRelease() { limiter.release(self.credential) }
    }
}
