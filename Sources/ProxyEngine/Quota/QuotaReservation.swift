/// What a request may cost, held against its monthly token quota and dollar budget from its
/// admission to its end: reserved at its worst case, then settled to what it used, so that
/// concurrent requests can never together spend past a limit.
///
/// The worst case is the prompt (estimated from the body) plus the output allowance: the
/// request's `max_tokens` (or its format's name for it), or what the limit can still pay for,
/// whichever is less. A request whose allowance is less than `minimumOutputTokens` is refused
/// before anything is sent; one whose allowance is less than it asked for (or that asked for
/// none) goes upstream with the allowance as its `max_tokens` (`isClamped`).
public struct QuotaReservation: Sendable, Equatable {
    public var promptTokens: Int
    /// The most output tokens the request may produce.
    public var outputTokens: Int
    /// The worst case in micro-dollars, at the model's price (0 when unpriced).
    public var microdollars: Int
    /// The upstream request must carry `outputTokens` as its limit.
    public var isClamped: Bool

    /// The worst case in tokens.
    public var tokens: Int { self.promptTokens + self.outputTokens }

    /// An answer shorter than this is no answer: a request that cannot afford it is refused.
    public static let minimumOutputTokens = 16
    /// The allowance of a request that names no limit, when its quota and budget can pay for
    /// more: above every current model's longest answer, so a request that names no limit is
    /// clamped only when the limit is near.
    public static let unboundedOutputTokens = 128_000

    /// What a request asks of the limits.
    public struct Demand: Sendable, Equatable {
        public var promptTokens: Int
        /// Its `max_tokens`, `max_completion_tokens` or `max_output_tokens`.
        public var requestedOutputTokens: Int?
        /// The serving model's price; nil when unpriced (it costs nothing).
        public var price: ModelPrice?

        public init(promptTokens: Int, requestedOutputTokens: Int?, price: ModelPrice?) {
            self.promptTokens = max(0, promptTokens)
            self.requestedOutputTokens = requestedOutputTokens.map { max(0, $0) }
            self.price = price
        }

        /// The prompt estimate of a request body: one token per four bytes (see `UsageRecord.estimate`).
        public static func promptTokens(ofBodyBytes bytes: Int) -> Int { (bytes + 3) / 4 }
    }

    /// Why a reservation does not fit.
    public enum Shortfall: Error, Sendable, Equatable {
        case tokens(remaining: Int)
        case microdollars(remaining: Int)
    }

    /// The reservation of `demand` when `remainingTokens` (nil: no token quota) and
    /// `remainingMicrodollars` (nil: no budget) are left, or what it falls short of.
    public static func plan(_ demand: Demand, remainingTokens: Int?, remainingMicrodollars: Int?) -> Result<Self, Shortfall> {
        let asked = demand.requestedOutputTokens ?? Self.unboundedOutputTokens
        var allowance = asked
        var binding: Shortfall?
        if let remainingTokens {
            let affordable = remainingTokens - demand.promptTokens
            if affordable < allowance {
                allowance = affordable
                binding = .tokens(remaining: max(0, remainingTokens))
            }
        }
        if let remainingMicrodollars, let price = demand.price {
            let affordable = price.affordableOutput(microdollars: remainingMicrodollars, promptTokens: demand.promptTokens)
            if affordable < allowance {
                allowance = affordable
                binding = .microdollars(remaining: max(0, remainingMicrodollars))
            }
        }
        if allowance < min(asked, Self.minimumOutputTokens), let binding { return .failure(binding) }
        let cost = demand.price?.cost(promptTokens: demand.promptTokens, outputTokens: allowance) ?? 0
        return .success(
            QuotaReservation(
                promptTokens: demand.promptTokens, outputTokens: allowance, microdollars: cost, isClamped: allowance < asked))
    }

    /// What a request that used `usage` (priced `cost`) is charged against this reservation:
    /// never more than was reserved, so the limits are never overrun (an upstream that ignored
    /// its `max_tokens` is cut at the allowance; see `StreamRelay`).
    public func charge(tokens: Int, microdollars cost: Int) -> (tokens: Int, microdollars: Int) {
        (min(tokens, self.tokens), min(cost, self.microdollars))
    }
}
