import FoundationEssentials
import NIOCore

/// A JSON document held as values, for the paths that must restructure a body (translation
/// between API formats). Pass-through paths never build one.
///
/// Objects keep their members in order, so what the gateway writes reads the way the API
/// references show it; members decoded from a client come in the decoder's order.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// Parses a whole body; `nil` if it is not JSON.
    public init?(parsing buffer: ByteBuffer) {
        guard let value = buffer.withUnsafeReadableBytes({ JSONScanner.value(parsing: $0) }) else { return nil }
        self = value
    }

    /// Parses a JSON text (a tool call's `arguments`); `nil` if it is not JSON.
    public init?(parsing text: String) {
        var text = text
        guard let value = text.withUTF8({ JSONScanner.value(parsing: UnsafeRawBufferPointer($0)) }) else { return nil }
        self = value
    }

    public subscript(key: String) -> JSONValue? {
        guard case .object(let object) = self else { return nil }
        return object[key]
    }

    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    public var intValue: Int? {
        switch self {
        case .int(let value): value
        case .double(let value) where value == value.rounded() && abs(value) < 1e15: Int(value)
        default: nil
        }
    }

    public var doubleValue: Double? {
        switch self {
        case .int(let value): Double(value)
        case .double(let value): value
        default: nil
        }
    }

    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    public var objectValue: JSONObject? {
        if case .object(let value) = self { return value }
        return nil
    }

    /// The compact JSON text.
    public var encoded: ByteBuffer {
        var json = JSONWriter()
        json.appendValue(self)
        return json.buffer
    }

    public var encodedString: String { String(buffer: self.encoded) }

    /// Numbers compare by value: JSON does not tell `1` from `1.0`.
    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): true
        case (.bool(let a), .bool(let b)): a == b
        case (.string(let a), .string(let b)): a == b
        case (.array(let a), .array(let b)): a == b
        case (.object(let a), .object(let b)): a == b
        case (.int(let a), .int(let b)): a == b
        case (.int, .double), (.double, .int), (.double, .double): lhs.doubleValue == rhs.doubleValue
        default: false
        }
    }
}

/// A JSON object's members in order; lookups are linear, which beats hashing at the sizes of
/// API objects.
public struct JSONObject: Sendable, Equatable, ExpressibleByDictionaryLiteral {
    public private(set) var members: [(key: String, value: JSONValue)]
    /// Where each key is in `members`, kept only once an object outgrows a short linear search:
    /// a client's 80,000-member object is decoded in linear time, and the small objects of every
    /// streamed event pay no dictionary.
    private var positions: [String: Int]?

    private static let linearSearchLimit = 16

    public init() { self.members = [] }

    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.members = []
        for (key, value) in elements { self[key] = value }
    }

    public var isEmpty: Bool { self.members.isEmpty }

    public subscript(key: String) -> JSONValue? {
        get { self.position(of: key).map { self.members[$0].value } }
        set {
            if let index = self.position(of: key) {
                if let newValue { self.members[index].value = newValue } else { self.removeMember(at: index) }
            } else if let newValue {
                self.members.append((key: key, value: newValue))
                if self.positions != nil {
                    self.positions![key] = self.members.count - 1
                } else if self.members.count > Self.linearSearchLimit {
                    self.index()
                }
            }
        }
    }

    private func position(of key: String) -> Int? {
        if let positions = self.positions { return positions[key] }
        return self.members.firstIndex(where: { $0.key == key })
    }

    private mutating func removeMember(at index: Int) {
        self.members.remove(at: index)
        if self.positions != nil { self.index() }
    }

    private mutating func index() {
        var positions: [String: Int] = [:]
        positions.reserveCapacity(self.members.count)
        for (index, member) in self.members.enumerated() { positions[member.key] = index }
        self.positions = positions
    }

    /// Members compare as a set: order never changes what an object means.
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.members.count == rhs.members.count else { return false }
        for member in lhs.members {
            guard let other = rhs[member.key], other == member.value else { return false }
        }
        return true
    }
}

extension JSONValue: Decodable {
    public init(from decoder: any Decoder) throws {
        if let container = try? decoder.container(keyedBy: AnyKey.self) {
            var object = JSONObject()
            for key in container.allKeys {
                object[key.stringValue] = try container.decode(JSONValue.self, forKey: key)
            }
            self = .object(object)
            return
        }
        if var container = try? decoder.unkeyedContainer() {
            var array: [JSONValue] = []
            array.reserveCapacity(container.count ?? 0)
            while !container.isAtEnd { array.append(try container.decode(JSONValue.self)) }
            self = .array(array)
            return
        }
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .int(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else {
            self = .string(try container.decode(String.self))
        }
    }

    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}

extension JSONWriter {
    /// Appends `value` as compact JSON text.
    public mutating func appendValue(_ value: JSONValue) {
        switch value {
        case .null: self.append("null")
        case .bool(let flag): self.append(flag ? "true" : "false")
        case .int(let number): self.appendInt(number)
        case .double(let number): self.append(number.isFinite ? String(describing: number) : "null")
        case .string(let text): self.appendString(text)
        case .array(let elements):
            self.append("[")
            for (index, element) in elements.enumerated() {
                if index > 0 { self.append(",") }
                self.appendValue(element)
            }
            self.append("]")
        case .object(let object):
            self.append("{")
            for (index, member) in object.members.enumerated() {
                if index > 0 { self.append(",") }
                self.appendString(member.key)
                self.append(":")
                self.appendValue(member.value)
            }
            self.append("}")
        }
    }
}
