/// What the translation of a Responses answer needs from its request: the model name the client
/// asked for, the names tools were given upstream, and the hosted tools left out.
public struct ResponsesRequestContext: Sendable, Equatable {
    public var model = ""
    public var toolNames = ResponsesToolNames()
    /// Hosted tools (`web_search`, `file_search`...) that a translated upstream cannot run.
    public var droppedTools: [String] = []
    /// Request fields the response object repeats (`tools`, `tool_choice`, `parallel_tool_calls`).
    public var echoed = JSONObject()

    public init() {}
}

/// Function names for the upstream: a tool inside a `namespace` group is called
/// `namespace__name`, shortened and numbered where that would collide or pass the 64 characters
/// Chat allows; every upstream name maps back to exactly one (name, namespace).
public struct ResponsesToolNames: Sendable, Equatable {
    public struct Original: Sendable, Equatable {
        public var name: String
        public var namespace: String?
        /// A `custom` (freeform) tool: its one string `input` is the call, not JSON arguments.
        public var isCustom = false

        public init(name: String, namespace: String?, isCustom: Bool = false) {
            self.name = name
            self.namespace = namespace
            self.isCustom = isCustom
        }
    }

    private var originals: [String: Original] = [:]
    private var upstreamNames: [String: String] = [:]
    /// The next number to try for each base name: thousands of tools named alike cost linear
    /// time, not a search from 2 each.
    private var nextNumbers: [String: Int] = [:]

    public init() {}

    /// Gives the tool its upstream name (the same one if registered before).
    public mutating func register(name: String, namespace: String?, isCustom: Bool = false) -> String {
        let key = Self.key(name: name, namespace: namespace)
        if let known = self.upstreamNames[key] { return known }
        let full = namespace.map { "\($0)__\(name)" } ?? name
        var candidate = full.utf8.count > 64 ? Self.prefix(full, bytes: 56) : full
        if self.originals[candidate] != nil {
            let base = Self.prefix(full, bytes: 56)
            var number = self.nextNumbers[base] ?? 2
            repeat {
                candidate = "\(base)_\(number)"
                number += 1
            } while self.originals[candidate] != nil
            self.nextNumbers[base] = number
        }
        self.originals[candidate] = Original(name: name, namespace: namespace, isCustom: isCustom)
        self.upstreamNames[key] = candidate
        return candidate
    }

    /// The upstream name of a tool the client names (in an earlier call or a `tool_choice`).
    public func flattened(name: String, namespace: String?) -> String {
        self.upstreamNames[Self.key(name: name, namespace: namespace)] ?? namespace.map { "\($0)__\(name)" } ?? name
    }

    /// The client's name for an upstream name; names the gateway did not give pass as they are.
    public func original(_ upstreamName: String) -> Original {
        self.originals[upstreamName] ?? Original(name: upstreamName, namespace: nil)
    }

    /// The longest run of whole characters of `text` within `bytes` UTF-8 bytes.
    private static func prefix(_ text: String, bytes: Int) -> String {
        var count = 0
        return String(
            text.prefix { character in
                count += character.utf8.count
                return count <= bytes
            })
    }

    private static func key(name: String, namespace: String?) -> String { "\(namespace ?? "")\u{0}\(name)" }
}
