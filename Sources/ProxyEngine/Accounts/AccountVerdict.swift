/// What one attempt on an upstream account says of that account, given once, when the attempt
/// has ended: after its whole body was read, or its stream ended, or it failed.
public enum AccountVerdict: Sendable, Equatable {
    /// The account answered (a 2xx, or a 4xx that is the request's fault).
    case success(latencySeconds: Double)
    /// 429: out of rotation for this long.
    case rateLimited(retryAfterSeconds: Double)
    /// 401/403: the key or token is refused.
    case refused
    /// 5xx, a refused or dropped connection, no answer in time, or a body that broke.
    case failed
    /// Cut short by its client leaving or the request's deadline, or a side call that does not
    /// judge accounts: it says nothing of the account (a half-open probe is simply tried again).
    case cancelled
}

extension AccountVerdict {
    /// What an answer's status says about the account that gave it: a 429 cools it down for
    /// the reset its headers give (30 s when they give none), 401/403 refuse it, 5xx fail it,
    /// anything else is the account answering.
    public static func of(status: Int, headers: [(name: String, value: String)], latencySeconds: Double, now: Double) -> AccountVerdict {
        switch status {
        case 429: .rateLimited(retryAfterSeconds: RateLimitReset.seconds(from: headers, now: now) ?? 30)
        case 401, 403: .refused
        case 500...: .failed
        default: .success(latencySeconds: latencySeconds)
        }
    }
}
