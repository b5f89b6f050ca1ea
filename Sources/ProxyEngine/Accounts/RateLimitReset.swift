import Foundation

/// How long an upstream asked to be left alone after a 429: `retry-after` (seconds or an HTTP
/// date), OpenAI's `x-ratelimit-reset-requests`/`-tokens` (`1s`, `6m0s`, `250ms`) and
/// Anthropic's `anthropic-ratelimit-*-reset` (an RFC 3339 time). The longest one wins.
public enum RateLimitReset {
    /// The longest wait an upstream can impose: a day. Longer (or `inf`) is clamped to it.
    public static let longestSeconds = 86_400.0

    /// The wait, clamped to `longestSeconds`; values that are not finite positive numbers
    /// (`nan`, `-1`) are ignored.
    public static func seconds(from headers: [(name: String, value: String)], now: Double) -> Double? {
        var longest: Double?
        for (name, value) in headers {
            let name = name.lowercased()
            var seconds: Double?
            if name == "retry-after" {
                seconds = Double(value.trimmingCharacters(in: .whitespaces))
            } else if name.hasPrefix("x-ratelimit-reset") {
                seconds = self.goDuration(value)
            } else if name.hasPrefix("anthropic-ratelimit-") && name.hasSuffix("-reset") {
                seconds = (try? Date(value, strategy: .iso8601)).map { $0.timeIntervalSince1970 - now }
            }
            if let seconds, seconds > 0, !seconds.isNaN { longest = max(longest ?? 0, min(seconds, Self.longestSeconds)) }
        }
        return longest
    }

    /// `1h2m3.5s`, `6m0s`, `250ms`, or a bare number of seconds.
    static func goDuration(_ text: String) -> Double? {
        if let plain = Double(text) { return plain }
        var total = 0.0
        var number = ""
        var index = text.startIndex
        var parsedAny = false
        while index < text.endIndex {
            let character = text[index]
            if character.isNumber || character == "." {
                number.append(character)
                index = text.index(after: index)
                continue
            }
            guard let value = Double(number) else { return nil }
            let rest = text[index...]
            if rest.hasPrefix("ms") {
                total += value / 1000
                index = text.index(index, offsetBy: 2)
            } else if character == "h" {
                total += value * 3600
                index = text.index(after: index)
            } else if character == "m" {
                total += value * 60
                index = text.index(after: index)
            } else if character == "s" {
                total += value
                index = text.index(after: index)
            } else {
                return nil
            }
            number = ""
            parsedAny = true
        }
        return parsedAny && number.isEmpty ? total : nil
    }
}
