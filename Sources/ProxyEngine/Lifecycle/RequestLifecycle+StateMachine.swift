extension RequestLifecycle {
    /// One admitted request's life as a state machine with no effects of its own: events go in,
    /// the actions to take come out, and its end comes once.
    ///
    /// admitted → attempting → answered (a whole body) or streaming → ended. A refusal or a
    /// hang-up may end it from any state before `ended`; nothing happens after.
    public struct StateMachine: Sendable {
        public enum State: Sendable {
            case admitted
            /// Upstream attempts have begun (their own leases end in the exchange).
            case attempting
            /// A whole answer was read; its account's verdict is given.
            case answered
            /// A stream is being relayed on `lease`'s account; `slotFreed` once its end went out,
            /// `delivered` when that end was the answer's own (not a failure event).
            case streaming(lease: AccountLease?, latencySeconds: Double, slotFreed: Bool, delivered: Bool)
            case ended
        }

        public private(set) var state = State.admitted

        public init() {}

        public mutating func attemptStarted() {
            if case .admitted = self.state { self.state = .attempting }
        }

        /// The upstream answered: a whole body (already read), or a stream whose verdict comes
        /// at its end.
        public mutating func answered(streamingOn lease: AccountLease?, latencySeconds: Double = 0, isStream: Bool) {
            switch self.state {
            case .admitted, .attempting:
                self.state =
                    isStream ? .streaming(lease: lease, latencySeconds: latencySeconds, slotFreed: false, delivered: false) : .answered
            case .answered, .streaming, .ended:
                break
            }
        }

        /// A stream's end is about to go out (`delivered`: the answer's own end, not a failure
        /// event): whether to free the caller's slot now (once), since the client may send its
        /// next request as soon as it reads it.
        public mutating func endMarkerSeen(delivered: Bool = true) -> Bool {
            guard case .streaming(let lease, let latency, slotFreed: false, _) = self.state else { return false }
            self.state = .streaming(lease: lease, latencySeconds: latency, slotFreed: true, delivered: delivered)
            return true
        }

        /// The request ends: once. Nil when it had already ended.
        public mutating func end(status: Int, cause: Cause) -> Ending? {
            let ending: Ending
            switch self.state {
            case .ended:
                return nil
            case .admitted:
                ending = Ending(status: status, settlement: .refund)
            case .attempting:
                // No account could take a first attempt: nothing was asked of a provider. Any
                // other end here (the attempts failed, the client left) asked one.
                ending = Ending(status: status, settlement: cause == .noUpstream ? .refund : .charge)
            case .answered:
                ending = Ending(status: status, settlement: .charge)
            case .streaming(let lease, let latency, _, let delivered):
                let verdict: AccountVerdict =
                    switch cause {
                    case .answered: .success(latencySeconds: latency)
                    case .upstreamFailed: .failed
                    // Past its end marker the upstream had delivered all of it.
                    case .clientLeft where delivered: .success(latencySeconds: latency)
                    case .clientLeft, .noUpstream: .cancelled
                    }
                ending = Ending(status: status, settlement: .charge, verdict: lease.map { ($0, verdict) })
            }
            self.state = .ended
            return ending
        }
    }
}
