/// The words of a request's life (see `RequestLifecycle.StateMachine`): how it ended, and what
/// its end does.
public enum RequestLifecycle {
    /// Why a request ended.
    public enum Cause: Sendable, Equatable {
        /// Its answer went out whole: a whole body, a stream to its end, or an error answer.
        case answered
        /// No account could take a first attempt (503), or it was refused before any.
        case noUpstream
        /// Its stream broke half-way, timed out or could not be relayed.
        case upstreamFailed
        /// Its client went away.
        case clientLeft

        /// The cause of an end by an error answer of `status`: 503 comes only when no account
        /// could take a first attempt; another 5xx is the upstream's failure; a 4xx is an
        /// answer (a refusal before any attempt is refunded whatever its cause).
        public init(errorStatus status: Int) {
            self = status == 503 ? .noUpstream : status >= 500 ? .upstreamFailed : .answered
        }
    }

    /// What the request costs its caller.
    public enum Settlement: Sendable, Equatable {
        /// It never reached a provider: everything it was charged goes back.
        case refund
        /// It reached a provider: its tokens count.
        case charge
    }

    /// What the one end of a request does, decided once.
    public struct Ending: Sendable {
        public var status: Int
        public var settlement: Settlement
        /// The answering account's one verdict, when the end gives it (a stream's; a whole
        /// answer's was given when its body was read).
        public var verdict: (lease: AccountLease, verdict: AccountVerdict)?
    }
}
