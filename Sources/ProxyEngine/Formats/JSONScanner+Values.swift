/// The scanner building the values it reads: how a body that must be restructured (a
/// translation between formats) becomes a `JSONValue`, in one pass, with strings found 16 bytes
/// to a step (`JSONPlainText`) and unescaped only when they hold escapes. `JSONDecoder` into
/// `JSONValue`'s `Decodable` conformance, which it replaces, measured 9 ms per MiB of agent
/// conversation, most of a translated request's cost.
///
/// It accepts what `JSONDecoder` accepts (trailing commas included, unlike the request summary)
/// and reads what it reads (a repeated key keeps its first value). Where `JSONDecoder` is lax on
/// some paths only (a raw control character in a string, anything in the value of a repeated
/// key, a NUL after the value), it refuses as RFC 8259 does.
extension JSONScanner {
    /// `bytes` as one JSON value, whitespace around it allowed; nil unless it is exactly that
    /// (and its text valid UTF-8, its numbers finite).
    static func value(parsing bytes: UnsafeRawBufferPointer) -> JSONValue? {
        var scanner = JSONScanner(bytes)
        scanner.skipWhitespace()
        guard let value = try? scanner.parsedValue(depth: 0) else { return nil }
        scanner.skipWhitespace()
        return scanner.index == bytes.count ? value : nil
    }

    /// A value whose containers sit `depth` deep.
    private mutating func parsedValue(depth: Int) throws(Invalid) -> JSONValue {
        switch self.current {
        case UInt8(ascii: "{"):
            guard depth < Self.maximumDepth else { throw Invalid() }
            return .object(try self.parsedObject(depth: depth + 1))
        case UInt8(ascii: "["):
            guard depth < Self.maximumDepth else { throw Invalid() }
            return .array(try self.parsedArray(depth: depth + 1))
        case UInt8(ascii: "\""):
            return .string(try self.parsedString())
        case UInt8(ascii: "t"):
            try self.literal("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try self.literal("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try self.literal("null")
            return .null
        default:
            let start = self.index
            try self.number()
            return try Self.number(UnsafeRawBufferPointer(rebasing: self.bytes[start..<self.index]))
        }
    }

    private mutating func parsedObject(depth: Int) throws(Invalid) -> JSONObject {
        try self.expect(UInt8(ascii: "{"))
        var object = JSONObject()
        self.skipWhitespace()
        if self.current == UInt8(ascii: "}") {
            self.index += 1
            return object
        }
        while true {
            // A trailing comma, as `JSONDecoder` allows: a model's tool arguments may have one
            // (a client's body never reaches here with one: its summary refuses it).
            if self.current == UInt8(ascii: "}") {
                self.index += 1
                return object
            }
            guard self.current == UInt8(ascii: "\"") else { throw Invalid() }
            let key = try self.parsedString()
            self.skipWhitespace()
            try self.expect(UInt8(ascii: ":"))
            self.skipWhitespace()
            let value = try self.parsedValue(depth: depth)
            // A repeated key keeps its first value, as `JSONDecoder` (which read these bodies
            // before) does; a request's top-level keys never repeat (see `TopLevelKeys`).
            if object[key] == nil { object[key] = value }
            self.skipWhitespace()
            if self.current == UInt8(ascii: ",") {
                self.index += 1
                self.skipWhitespace()
                continue
            }
            try self.expect(UInt8(ascii: "}"))
            return object
        }
    }

    private mutating func parsedArray(depth: Int) throws(Invalid) -> [JSONValue] {
        try self.expect(UInt8(ascii: "["))
        var array: [JSONValue] = []
        self.skipWhitespace()
        if self.current == UInt8(ascii: "]") {
            self.index += 1
            return array
        }
        while true {
            if self.current == UInt8(ascii: "]") {
                self.index += 1
                return array
            }
            array.append(try self.parsedValue(depth: depth))
            self.skipWhitespace()
            if self.current == UInt8(ascii: ",") {
                self.index += 1
                self.skipWhitespace()
                continue
            }
            try self.expect(UInt8(ascii: "]"))
            return array
        }
    }

    /// A string's text: its bytes as they are when it holds no escape, else decoded.
    private mutating func parsedString() throws(Invalid) -> String {
        try self.expect(UInt8(ascii: "\""))
        let start = self.index
        var end = JSONPlainText.end(in: self.bytes, from: start)
        guard end < self.bytes.count else { throw Invalid() }
        if self.bytes[end] == UInt8(ascii: "\"") {
            self.index = end + 1
            return try Self.text(UnsafeRawBufferPointer(rebasing: self.bytes[start..<end]))
        }
        var decoded: [UInt8] = []
        decoded.reserveCapacity(2 * (end - start) + 16)
        var run = start
        while true {
            decoded.append(contentsOf: UnsafeRawBufferPointer(rebasing: self.bytes[run..<end]))
            guard end < self.bytes.count else { throw Invalid() }
            switch self.bytes[end] {
            case UInt8(ascii: "\""):
                self.index = end + 1
                guard let text = String(validating: decoded, as: UTF8.self) else { throw Invalid() }
                return text
            case UInt8(ascii: "\\"):
                self.index = end + 1
                try self.unescape(into: &decoded)
                run = self.index
                end = JSONPlainText.end(in: self.bytes, from: run)
            default:
                // A control character: JSON text must escape it.
                throw Invalid()
            }
        }
    }

    /// The escape after a backslash, decoded; a `\u` pair of surrogates is one scalar.
    private mutating func unescape(into decoded: inout [UInt8]) throws(Invalid) {
        guard let escaped = self.current else { throw Invalid() }
        self.index += 1
        switch escaped {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): decoded.append(escaped)
        case UInt8(ascii: "b"): decoded.append(0x08)
        case UInt8(ascii: "f"): decoded.append(0x0C)
        case UInt8(ascii: "n"): decoded.append(0x0A)
        case UInt8(ascii: "r"): decoded.append(0x0D)
        case UInt8(ascii: "t"): decoded.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try self.hexQuad()
            if (0xD800..<0xDC00).contains(scalar) {
                guard self.current == UInt8(ascii: "\\") else { throw Invalid() }
                self.index += 1
                try self.expect(UInt8(ascii: "u"))
                let low = try self.hexQuad()
                guard (0xDC00..<0xE000).contains(low) else { throw Invalid() }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            }
            guard let unicode = Unicode.Scalar(scalar) else { throw Invalid() }
            decoded.append(contentsOf: UTF8.encode(unicode)!)
        default:
            throw Invalid()
        }
    }

    private mutating func hexQuad() throws(Invalid) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = self.current else { throw Invalid() }
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw Invalid()
            }
            value = value << 4 | UInt32(digit)
            self.index += 1
        }
        return value
    }

    private static func text(_ bytes: UnsafeRawBufferPointer) throws(Invalid) -> String {
        guard let text = String(validating: bytes, as: UTF8.self) else { throw Invalid() }
        return text
    }

    /// An integer literal that fits is an `Int`, any other number a finite `Double`.
    private static func number(_ literal: UnsafeRawBufferPointer) throws(Invalid) -> JSONValue {
        let isInteger = !literal.contains { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }
        let text = String(decoding: literal, as: UTF8.self)
        if isInteger, let integer = Int(text) { return .int(integer) }
        guard let double = Double(text), double.isFinite else { throw Invalid() }
        return .double(double)
    }
}
