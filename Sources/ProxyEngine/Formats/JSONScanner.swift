/// Validates JSON text (RFC 8259) in one pass over its bytes and reports where values are,
/// without building them: the request path needs four fields of a body that may be megabytes of
/// conversation, and decoding it with `JSONDecoder` measured as the largest cost of the gateway's
/// own code per request.
///
/// Strings are checked for escapes and control characters but not decoded; text is not checked
/// for valid UTF-8 (the upstream sees the bytes as sent, and answers for them).
struct JSONScanner {
    enum Kind: Equatable {
        case object, array, string, number, bool, null
    }

    /// A value: its kind and where it is, quotes and brackets included.
    struct Span {
        var kind: Kind
        var range: Range<Int>
    }

    struct Invalid: Error {}

    /// `JSONDecoder`'s own limit: deeper documents are refused rather than overflowing the stack.
    static let maximumDepth = 512

    let bytes: UnsafeRawBufferPointer
    var index: Int

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
        self.index = 0
    }

    /// Checks that `bytes` is exactly one JSON object (whitespace around it allowed) and calls
    /// `visit` with the raw key bytes (between the quotes) and the value of each member.
    static func members(
        ofObject bytes: UnsafeRawBufferPointer,
        _ visit: (_ key: UnsafeRawBufferPointer, _ value: Span) throws(Invalid) -> Void
    ) throws(Invalid) {
        var scanner = JSONScanner(bytes)
        scanner.skipWhitespace()
        try scanner.object(depth: 1, visit: visit)
        scanner.skipWhitespace()
        guard scanner.index == bytes.count else { throw Invalid() }
    }

    /// The text of a string value `span` (quotes excluded), or nil when it holds escapes.
    /// A number's value when it is a non-negative integer (capped at `TokenUsage.maximumCount`:
    /// it counts tokens); nil for any other value.
    static func count(_ span: Span, in bytes: UnsafeRawBufferPointer) -> Int? {
        guard span.kind == .number else { return nil }
        var value = 0
        for index in span.range {
            let byte = bytes[index]
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = min(value * 10 + Int(byte - UInt8(ascii: "0")), TokenUsage.maximumCount)
        }
        return value
    }

    static func plainString(_ span: Span, in bytes: UnsafeRawBufferPointer) -> String? {
        let inner = UnsafeRawBufferPointer(rebasing: bytes[(span.range.lowerBound + 1)..<(span.range.upperBound - 1)])
        guard !inner.contains(UInt8(ascii: "\\")) else { return nil }
        return String(decoding: inner, as: UTF8.self)
    }

    var current: UInt8? { self.index < self.bytes.count ? self.bytes[self.index] : nil }

    mutating func skipWhitespace() {
        while let byte = self.current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { self.index += 1 }
    }

    mutating func expect(_ byte: UInt8) throws(Invalid) {
        guard self.current == byte else { throw Invalid() }
        self.index += 1
    }

    private mutating func value(depth: Int) throws(Invalid) -> Span {
        let start = self.index
        let kind: Kind
        switch self.current {
        case UInt8(ascii: "{"):
            try self.object(depth: depth + 1) { (_, _) throws(Invalid) in }
            kind = .object
        case UInt8(ascii: "["):
            try self.array(depth: depth + 1)
            kind = .array
        case UInt8(ascii: "\""):
            try self.string()
            kind = .string
        case UInt8(ascii: "t"):
            try self.literal("true")
            kind = .bool
        case UInt8(ascii: "f"):
            try self.literal("false")
            kind = .bool
        case UInt8(ascii: "n"):
            try self.literal("null")
            kind = .null
        default:
            try self.number()
            kind = .number
        }
        return Span(kind: kind, range: start..<self.index)
    }

    private mutating func object(
        depth: Int,
        visit: (_ key: UnsafeRawBufferPointer, _ value: Span) throws(Invalid) -> Void
    ) throws(Invalid) {
        guard depth <= Self.maximumDepth else { throw Invalid() }
        try self.expect(UInt8(ascii: "{"))
        self.skipWhitespace()
        if self.current == UInt8(ascii: "}") {
            self.index += 1
            return
        }
        while true {
            let keyStart = self.index
            try self.string()
            let key = UnsafeRawBufferPointer(rebasing: self.bytes[(keyStart + 1)..<(self.index - 1)])
            self.skipWhitespace()
            try self.expect(UInt8(ascii: ":"))
            self.skipWhitespace()
            try visit(key, try self.value(depth: depth))
            self.skipWhitespace()
            if self.current == UInt8(ascii: ",") {
                self.index += 1
                self.skipWhitespace()
                continue
            }
            try self.expect(UInt8(ascii: "}"))
            return
        }
    }

    private mutating func array(depth: Int) throws(Invalid) {
        guard depth <= Self.maximumDepth else { throw Invalid() }
        try self.expect(UInt8(ascii: "["))
        self.skipWhitespace()
        if self.current == UInt8(ascii: "]") {
            self.index += 1
            return
        }
        while true {
            _ = try self.value(depth: depth)
            self.skipWhitespace()
            if self.current == UInt8(ascii: ",") {
                self.index += 1
                self.skipWhitespace()
                continue
            }
            try self.expect(UInt8(ascii: "]"))
            return
        }
    }

    private mutating func string() throws(Invalid) {
        try self.expect(UInt8(ascii: "\""))
        while true {
            self.index = JSONPlainText.end(in: self.bytes, from: self.index)
            guard let byte = self.current else { throw Invalid() }
            self.index += 1
            switch byte {
            case UInt8(ascii: "\""):
                return
            case UInt8(ascii: "\\"):
                guard let escaped = self.current else { throw Invalid() }
                self.index += 1
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                    UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    continue
                case UInt8(ascii: "u"):
                    for _ in 0..<4 {
                        guard let hex = self.current, hex.isHexDigit else { throw Invalid() }
                        self.index += 1
                    }
                default:
                    throw Invalid()
                }
            default:
                // A control character: JSON text must escape it.
                throw Invalid()
            }
        }
    }

    mutating func literal(_ text: StaticString) throws(Invalid) {
        let count = text.utf8CodeUnitCount
        guard self.index + count <= self.bytes.count else { throw Invalid() }
        for offset in 0..<count where self.bytes[self.index + offset] != text.utf8Start[offset] { throw Invalid() }
        self.index += count
    }

    mutating func number() throws(Invalid) {
        if self.current == UInt8(ascii: "-") { self.index += 1 }
        guard let first = self.current, first.isDigit else { throw Invalid() }
        self.index += 1
        if first != UInt8(ascii: "0") { self.digits() }
        if self.current == UInt8(ascii: ".") {
            self.index += 1
            guard self.current?.isDigit == true else { throw Invalid() }
            self.digits()
        }
        if self.current == UInt8(ascii: "e") || self.current == UInt8(ascii: "E") {
            self.index += 1
            if self.current == UInt8(ascii: "+") || self.current == UInt8(ascii: "-") { self.index += 1 }
            guard self.current?.isDigit == true else { throw Invalid() }
            self.digits()
        }
    }

    private mutating func digits() {
        while self.current?.isDigit == true { self.index += 1 }
    }
}

extension UInt8 {
    fileprivate var isDigit: Bool { self >= UInt8(ascii: "0") && self <= UInt8(ascii: "9") }
    fileprivate var isHexDigit: Bool {
        self.isDigit || (self >= UInt8(ascii: "a") && self <= UInt8(ascii: "f")) || (self >= UInt8(ascii: "A") && self <= UInt8(ascii: "F"))
    }
}
