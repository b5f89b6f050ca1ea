/// A model-name pattern from `providers.models`: `*` matches any run of characters, `?` one.
public struct ModelGlob: Sendable, Hashable, CustomStringConvertible {
    public let pattern: String
    private let utf8: [UInt8]

    public init(_ pattern: String) {
        self.pattern = pattern
        self.utf8 = Array(pattern.utf8)
    }

    public var description: String { self.pattern }

    /// True when the pattern names one model and no family.
    public var isLiteral: Bool { !self.utf8.contains(UInt8(ascii: "*")) && !self.utf8.contains(UInt8(ascii: "?")) }

    public func matches(_ name: String) -> Bool {
        var name = name
        return name.withUTF8 { Self.match(self.utf8[...], $0[...]) }
    }

    /// Iterative wildcard match with single-star backtracking: linear in practice, no recursion.
    private static func match(_ pattern: ArraySlice<UInt8>, _ text: UnsafeBufferPointer<UInt8>.SubSequence) -> Bool {
        var p = pattern.startIndex
        var t = text.startIndex
        var starP: Int? = nil
        var starT = t
        while t < text.endIndex {
            if p < pattern.endIndex && (pattern[p] == UInt8(ascii: "?") || pattern[p] == text[t]) {
                p += 1
                t += 1
            } else if p < pattern.endIndex && pattern[p] == UInt8(ascii: "*") {
                starP = p
                starT = t
                p += 1
            } else if let star = starP {
                p = star + 1
                starT += 1
                t = starT
            } else {
                return false
            }
        }
        while p < pattern.endIndex && pattern[p] == UInt8(ascii: "*") { p += 1 }
        return p == pattern.endIndex
    }
}
