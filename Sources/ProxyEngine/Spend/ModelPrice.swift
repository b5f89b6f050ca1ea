/// What a model's tokens cost, kept as integer micro-dollars per million tokens ($0.27 a
/// million is 270,000), so that a price is exact: n tokens at p cost n·p / 10⁶ micro-dollars.
/// Cached input and cache writes have their own price; reasoning is output.
public struct ModelPrice: Sendable, Equatable {
    public var input: Int
    public var cachedInput: Int
    public var cacheWrite: Int
    public var output: Int

    /// From dollars per million tokens; an absent cache price is the input price.
    public init(input: Double, cachedInput: Double? = nil, cacheWrite: Double? = nil, output: Double) {
        self.input = Self.microdollarsPerMillion(input)
        self.cachedInput = Self.microdollarsPerMillion(cachedInput ?? input)
        self.cacheWrite = Self.microdollarsPerMillion(cacheWrite ?? input)
        self.output = Self.microdollarsPerMillion(output)
    }

    /// The most a configured price may be, in dollars per million tokens: far above any model's,
    /// and low enough that no sum of a month's prices can overflow.
    public static let maximumDollarsPerMillion = 100_000.0

    static func microdollarsPerMillion(_ dollars: Double) -> Int {
        guard dollars.isFinite, dollars > 0 else { return 0 }
        return Int((min(dollars, Self.maximumDollarsPerMillion) * 1_000_000).rounded())
    }

    /// The price of `usage` in micro-dollars, rounded up: a request is never priced below cost.
    public func cost(of usage: TokenUsage) -> Int {
        let uncached = usage.promptTokens - usage.cacheReadTokens - usage.cacheWriteTokens
        var total = Self.saturatingMultiply(uncached, self.input)
        total = Self.saturatingAdd(total, Self.saturatingMultiply(usage.cacheReadTokens, self.cachedInput))
        total = Self.saturatingAdd(total, Self.saturatingMultiply(usage.cacheWriteTokens, self.cacheWrite))
        total = Self.saturatingAdd(total, Self.saturatingMultiply(usage.completionTokens, self.output))
        return Self.roundedUpMillionths(total)
    }

    /// The worst case of a request: `promptTokens` of uncached input, then `outputTokens`.
    public func cost(promptTokens: Int, outputTokens: Int) -> Int {
        self.cost(of: TokenUsage(promptTokens: promptTokens, completionTokens: outputTokens))
    }

    /// The most output tokens `microdollars` pays for after `promptTokens` of uncached input
    /// (`Int.max` when output is free; negative when the prompt alone costs more).
    public func affordableOutput(microdollars: Int, promptTokens: Int) -> Int {
        let left = microdollars - self.cost(promptTokens: promptTokens, outputTokens: 0)
        guard left >= 0 else { return -1 }
        guard self.output > 0 else { return .max }
        // n·output / 10⁶ ≤ left, rounded up per request: n ≤ left·10⁶ / output.
        return Self.saturatingMultiply(left, 1_000_000) / self.output
    }

    static func roundedUpMillionths(_ value: Int) -> Int {
        value == .max ? .max / 1_000_000 : (value + 999_999) / 1_000_000
    }

    static func saturatingMultiply(_ a: Int, _ b: Int) -> Int {
        let (product, overflow) = max(0, a).multipliedReportingOverflow(by: max(0, b))
        return overflow ? .max : product
    }

    static func saturatingAdd(_ a: Int, _ b: Int) -> Int {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? .max : sum
    }
}

/// Micro-dollars as clients read them: dollars with six decimals.
public enum Microdollars {
    public static func dollars(_ microdollars: Int) -> String {
        let sign = microdollars < 0 ? "-" : ""
        let magnitude = microdollars.magnitude
        let fraction = String(magnitude % 1_000_000)
        return sign + String(magnitude / 1_000_000) + "." + String(repeating: "0", count: 6 - fraction.count) + fraction
    }

    /// Dollars from configuration or an API body, as micro-dollars (rounded to the nearest).
    public static func from(dollars: Double) -> Int {
        guard dollars.isFinite, dollars > 0 else { return 0 }
        return Int((min(dollars, 1e12) * 1_000_000).rounded())
    }
}
