/// A published price, as the built-in table keeps it: the page it was read from and when.
public struct BuiltInPrice: Sendable {
    public let model: String
    public let price: ModelPrice
    public let source: String
    /// ISO date (YYYY-MM-DD) of the page the price was read from.
    public let date: String

    public init(
        _ model: String, input: Double, cachedInput: Double? = nil, cacheWrite: Double? = nil, output: Double, source: String,
        date: String
    ) {
        self.model = model
        self.price = ModelPrice(input: input, cachedInput: cachedInput, cacheWrite: cacheWrite, output: output)
        self.source = source
        self.date = date
    }
}

/// `[prices."pattern"]`: a price the configuration sets, matched (glob) against the upstream
/// model name, before the built-in table.
public struct PriceOverride: Sendable, Equatable {
    public var pattern: String
    public var price: ModelPrice

    public init(pattern: String, price: ModelPrice) {
        self.pattern = pattern
        self.price = price
    }
}

/// The price of each model the gateway serves: the configuration's `[prices]` first (literal
/// names, then the longest matching pattern), then the built-in table by exact name, then by its
/// longest row that is the name up to a `-`, `@` or `:` (a dated snapshot, `gpt-4o-2024-08-06`,
/// is priced as `gpt-4o`). A model found nowhere is unpriced: it is served and costs nothing.
public struct PriceTable: Sendable {
    private let literal: [String: ModelPrice]
    private let patterns: [(glob: ModelGlob, price: ModelPrice)]
    /// By `Substring`, so that looking up a dated name's prefixes allocates nothing.
    private let published: [Substring: ModelPrice]

    public init(overrides: [PriceOverride] = [], builtIn: [BuiltInPrice] = PriceTable.builtIn) {
        var literal: [String: ModelPrice] = [:]
        var patterns: [(ModelGlob, ModelPrice)] = []
        for override in overrides {
            let glob = ModelGlob(override.pattern)
            if glob.isLiteral {
                literal[override.pattern] = literal[override.pattern] ?? override.price
            } else {
                patterns.append((glob, override.price))
            }
        }
        self.literal = literal
        // The most specific first, whatever order the file's tables are read in.
        self.patterns = patterns.sorted {
            ($0.0.pattern.utf8.count, $1.0.pattern) > ($1.0.pattern.utf8.count, $0.0.pattern)
        }
        self.published = Dictionary(builtIn.map { (Substring($0.model), $0.price) }, uniquingKeysWith: { first, _ in first })
    }

    public func price(of model: String) -> ModelPrice? {
        if let price = self.literal[model] { return price }
        for (glob, price) in self.patterns where glob.matches(model) { return price }
        var name = Substring(model)
        if let price = self.published[name] { return price }
        while let cut = name.lastIndex(where: { $0 == "-" || $0 == "@" || $0 == ":" }) {
            name = name[..<cut]
            if let price = self.published[name] { return price }
        }
        return nil
    }
}
