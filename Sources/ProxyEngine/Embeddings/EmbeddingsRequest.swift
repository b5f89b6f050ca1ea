import NIOCore

/// What the gateway must know of an OpenAI `POST /v1/embeddings` body: the model, the texts
/// (`input`: a string, an array of strings, or token arrays), and how vectors are to be written.
public struct EmbeddingsRequest: Sendable, Equatable {
    public var model: String
    public var inputs: [String]
    /// `encoding_format: "base64"` (what the openai SDKs ask for): little-endian float32s.
    public var base64: Bool
    public var dimensions: Int?
    /// The prompt tokens the request is admitted and charged for when the upstream reports none.
    public var estimatedTokens: Int
    /// `input` was token integers, not text: only a provider that reads OpenAI's tokens can
    /// embed it (`inputs` then holds the integers as text, for the estimate).
    public var isTokens = false

    /// At most this many inputs in one request (OpenAI's own limit).
    public static let maximumInputs = 2048

    public init(body: ByteBuffer) throws(GatewayError) {
        guard case .object(let request)? = JSONValue(parsing: body) else {
            throw .badRequest("The request body is not valid JSON (an object is expected).")
        }
        guard let model = request["model"]?.stringValue, !model.isEmpty else { throw .badRequest("'model' is required.") }
        self.model = model
        switch request["input"] {
        case .string(let text)?:
            self.inputs = [text]
        case .array(let items)? where !items.isEmpty:
            if items.allSatisfy({ $0.intValue != nil }) {
                // One input of tokens: the cap is on inputs, not on an input's tokens.
                self.inputs = [items.map { String($0.intValue!) }.joined(separator: " ")]
                self.isTokens = true
            } else {
                guard items.count <= Self.maximumInputs else { throw .badRequest("'input' may hold at most \(Self.maximumInputs) items.") }
                var inputs: [String] = []
                for (index, item) in items.enumerated() {
                    if let text = item.stringValue {
                        inputs.append(text)
                    } else if let tokens = item.arrayValue, tokens.allSatisfy({ $0.intValue != nil }) {
                        inputs.append(tokens.map { String($0.intValue!) }.joined(separator: " "))
                        self.isTokens = true
                    } else {
                        throw .badRequest("'input[\(index)]' must be a string or an array of token integers.")
                    }
                }
                self.inputs = inputs
            }
        case nil, .null?:
            throw .badRequest("'input' is required.")
        default:
            throw .badRequest("'input' must be a string or a non-empty array.")
        }
        switch request["encoding_format"] {
        case nil, .null?, .string("float")?: self.base64 = false
        case .string("base64")?: self.base64 = true
        default: throw .badRequest("'encoding_format' must be float or base64.")
        }
        if let dimensions = request["dimensions"], dimensions != .null {
            guard let count = dimensions.intValue, count > 0 else { throw .badRequest("'dimensions' must be a positive integer.") }
            self.dimensions = count
        }
        self.estimatedTokens = Self.estimate(self.inputs)
    }

    /// The request another door's body amounts to (Gemini's `:embedContent`), in float vectors.
    public init(model: String, inputs: [String], dimensions: Int?) {
        self.model = model
        self.inputs = inputs
        self.base64 = false
        self.dimensions = dimensions
        self.estimatedTokens = Self.estimate(inputs)
    }

    /// The prompt tokens `inputs` are admitted and charged for when the upstream reports none.
    public static func estimate(_ inputs: some Collection<String>) -> Int {
        max(1, inputs.reduce(0) { $0 + ($1.utf8.count + 3) / 4 })
    }
}
