import Crypto
import FoundationEssentials

/// A virtual API key: what a client sends instead of a provider key. Only its SHA-256 hash is
/// stored; the plaintext is shown once, when it is created.
public struct VirtualKey: Sendable, Equatable {
    public var id: String
    public var name: String
    public var user: String
    public var hash: String
    /// The first characters of the key, enough to recognise it in a list, not to use it.
    public var prefix: String
    public var createdAt: Int
    public var expiresAt: Int?
    /// Glob patterns of the models this key may use; empty means every model.
    public var models: [String]
    public var monthlyRequests: Int?
    public var monthlyTokens: Int?
    /// The key's own monthly budget (`monthly_usd`), in micro-dollars.
    public var monthlyMicrodollars: Int?
    public var disabled: Bool

    public init(
        id: String, name: String, user: String, hash: String, prefix: String, createdAt: Int, expiresAt: Int? = nil,
        models: [String] = [], monthlyRequests: Int? = nil, monthlyTokens: Int? = nil, monthlyMicrodollars: Int? = nil,
        disabled: Bool = false
    ) {
        self.monthlyMicrodollars = monthlyMicrodollars
        self.id = id
        self.name = name
        self.user = user
        self.hash = hash
        self.prefix = prefix
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.models = models
        self.monthlyRequests = monthlyRequests
        self.monthlyTokens = monthlyTokens
        self.disabled = disabled
    }

    /// A new key: `sk-` and 256 random bits, with the record to store.
    public static func generate(
        name: String, user: String, now: Int, expiresAt: Int? = nil, models: [String] = [],
        monthlyRequests: Int? = nil, monthlyTokens: Int? = nil, monthlyMicrodollars: Int? = nil
    ) -> (plaintext: String, record: VirtualKey) {
        var generator = SystemRandomNumberGenerator()
        let secret = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let plaintext = "sk-" + Base64URL.encode(secret)
        let id = "key_" + Base64URL.encode((0..<9).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
        let record = VirtualKey(
            id: id, name: name, user: user, hash: Self.hash(plaintext), prefix: String(plaintext.prefix(7)),
            createdAt: now, expiresAt: expiresAt, models: models, monthlyRequests: monthlyRequests, monthlyTokens: monthlyTokens,
            monthlyMicrodollars: monthlyMicrodollars
        )
        return (plaintext, record)
    }

    /// The stored form of a key: lowercase hex SHA-256.
    public static func hash(_ plaintext: String) -> String {
        SHA256.hash(data: Array(plaintext.utf8)).map { String($0, radix: 16).leftPadded(to: 2) }.joined()
    }

    /// Whether the key has a monthly quota or budget of its own (else its user's tier counts).
    public var hasOwnQuota: Bool { self.monthlyRequests != nil || self.monthlyTokens != nil || self.monthlyMicrodollars != nil }

    /// A key's `monthly_usd`, as the admin API and the CLI take it: dollars, as micro-dollars.
    public static func budget(dollars: Double?) throws(GatewayError) -> Int? {
        guard let dollars else { return nil }
        guard dollars.isFinite, dollars >= 0, dollars <= GatewayConfig.largestBudget else {
            throw .badRequest("'monthly_usd' must be dollars between 0 and \(Int(GatewayConfig.largestBudget)).")
        }
        return Microdollars.from(dollars: dollars)
    }

    /// A key's `monthly_requests` or `monthly_tokens` (`name`): not negative.
    public static func count(_ value: Int?, _ name: String) throws(GatewayError) -> Int? {
        guard let value else { return nil }
        guard value >= 0 else { throw .badRequest("'\(name)' must not be negative.") }
        return value
    }

    /// Whether this key may ask for `model`.
    public func allows(model: String) -> Bool {
        self.models.isEmpty || self.models.contains { ModelGlob($0).matches(model) }
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        self.count >= width ? self : String(repeating: "0", count: width - self.count) + self
    }
}
