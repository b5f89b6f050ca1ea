/// One proxied request, as the usage log keeps it.
public struct UsageRecord: Sendable, Equatable {
    /// Unix seconds when the request ended.
    public var at: Double
    public var user: String
    public var keyID: String?
    public var model: String
    public var provider: String
    public var account: String
    /// Every prompt token, cached ones included (see `TokenUsage`).
    public var promptTokens: Int
    /// Every completion token, reasoning included.
    public var completionTokens: Int
    /// The parts of the two above read from and written to a cache, and spent reasoning.
    public var cacheReadTokens: Int
    public var cacheWriteTokens: Int
    public var reasoningTokens: Int
    /// The upstream reported no usage: the counts are the gateway's estimate (see docs/reference.md, "Usage accounting").
    public var estimated: Bool
    public var status: Int
    public var latencyMilliseconds: Double
    public var timeToFirstByteMilliseconds: Double?
    /// The door it came through: `chat`, `messages` or `responses` (see `APIFormat.door`).
    public var door: String
    /// What the request cost, in micro-dollars, at the serving model's price (see `PriceTable`):
    /// what its quota was charged.
    public var costMicrodollars: Int
    /// The serving model has a price (an unpriced one costs nothing, and is shown as such).
    public var priced: Bool

    public init(
        at: Double, user: String, keyID: String?, model: String, provider: String, account: String,
        promptTokens: Int, completionTokens: Int, estimated: Bool, status: Int,
        latencyMilliseconds: Double, timeToFirstByteMilliseconds: Double?, door: String = APIFormat.openAI.door,
        cacheReadTokens: Int = 0, cacheWriteTokens: Int = 0, reasoningTokens: Int = 0, costMicrodollars: Int = 0, priced: Bool = true
    ) {
        self.door = door
        self.costMicrodollars = costMicrodollars
        self.priced = priced
        self.cacheReadTokens = cacheReadTokens
        self.cacheWriteTokens = cacheWriteTokens
        self.reasoningTokens = reasoningTokens
        self.at = at
        self.user = user
        self.keyID = keyID
        self.model = Self.capped(model)
        self.provider = provider
        self.account = account
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.estimated = estimated
        self.status = status
        self.latencyMilliseconds = latencyMilliseconds
        self.timeToFirstByteMilliseconds = timeToFirstByteMilliseconds
    }

    /// Longest model name a record keeps: the name is the client's, and records live for months.
    public static let maximumModelLength = 128

    public static func capped(_ model: String) -> String {
        model.utf8.count <= Self.maximumModelLength ? model : String(decoding: model.utf8.prefix(Self.maximumModelLength), as: UTF8.self)
    }

    /// Tokens of an answer whose upstream reported none: one per four bytes of the request
    /// body (prompt) and of the answer as sent (completion). Rough on purpose; marked estimated.
    public static func estimate(requestBytes: Int, answerBytes: Int) -> TokenUsage {
        TokenUsage(promptTokens: (requestBytes + 3) / 4, completionTokens: (answerBytes + 3) / 4)
    }
}
