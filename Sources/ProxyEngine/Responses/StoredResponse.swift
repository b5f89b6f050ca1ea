/// A Responses-API response kept for `previous_response_id` and `GET /v1/responses/{id}`
/// (`store: true`, the API's default): the conversation's input items up to it and the response
/// object itself, as one JSON document, for its user only.
public struct StoredResponse: Sendable, Equatable {
    public var id: String
    public var user: String
    /// Unix seconds.
    public var createdAt: Double
    public var expiresAt: Double
    /// `{"input": [items...], "response": {...}}`.
    public var document: String

    /// Larger responses are served but not kept: a stored conversation is read back whole.
    public static let maximumBytes = 8 * 1024 * 1024

    public init(id: String, user: String, createdAt: Double, expiresAt: Double, document: String) {
        self.id = id
        self.user = user
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.document = document
    }

    /// Keeps `response`, answered to `input` (the whole conversation's items), for `retention`
    /// seconds; nil when it has no id or is too large to keep.
    public init?(response: JSONValue, input: [JSONValue], user: String, now: Double, retentionSeconds: Double) {
        guard let id = response["id"]?.stringValue else { return nil }
        let document = JSONValue.object(["input": .array(input), "response": response]).encodedString
        guard document.utf8.count <= Self.maximumBytes else { return nil }
        self.init(id: id, user: user, createdAt: now, expiresAt: now + retentionSeconds, document: document)
    }

    public var parsed: JSONValue? { JSONValue(parsing: self.document) }

    /// The response object, as `GET /v1/responses/{id}` answers it.
    public var response: JSONValue? { self.parsed?["response"] }

    /// The conversation a request continuing this response starts from: its input, then its
    /// output items (which the API takes back as input items).
    public var history: [JSONValue] {
        guard let parsed = self.parsed else { return [] }
        return (parsed["input"]?.arrayValue ?? []) + (parsed["response"]?["output"]?.arrayValue ?? [])
    }
}

/// A Responses request as input items: `input` as a string is one user message.
public enum ResponsesInput {
    public static func items(of request: JSONValue) -> [JSONValue] {
        switch request["input"] {
        case .string(let text)?: [.object(["type": .string("message"), "role": .string("user"), "content": .string(text)])]
        case .array(let items)?: items
        default: []
        }
    }

    /// `request` continuing from `history`: the history's items, then its own; no
    /// `previous_response_id` left (the conversation is whole).
    public static func continuing(_ request: JSONValue, from history: [JSONValue]) -> JSONValue {
        guard case .object(var object) = request else { return request }
        object["input"] = .array(history + Self.items(of: request))
        object["previous_response_id"] = nil
        return .object(object)
    }
}
