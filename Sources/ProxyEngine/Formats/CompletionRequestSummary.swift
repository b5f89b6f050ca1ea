import FoundationEssentials
import NIOCore

/// What the gateway must know of a completion request body (OpenAI Chat Completions or
/// Anthropic Messages: the fields it needs have the same names), and no more.
public struct CompletionRequestSummary: Sendable, Equatable {
    public var model: String
    public var stream: Bool
    /// Whether the body has a `stream_options` object, and what it says of usage.
    public var hasStreamOptions: Bool
    public var includeUsage: Bool
    /// Anthropic's `metadata.user_id`: keeps a conversation on one upstream account.
    public var sessionKey: String?

    /// Validates the fields the API requires and reads those routing needs. The rest of the body
    /// is not interpreted: it goes upstream as received.
    public init(body: ByteBuffer) throws(GatewayError) {
        let probe: Probe
        do {
            probe = try JSONDecoder().decode(Probe.self, from: Data(buffer: body))
        } catch DecodingError.typeMismatch(_, let context) {
            throw .badRequest("'\(context.codingPath.dottedPath)' has the wrong type.")
        } catch {
            throw .badRequest("The request body is not valid JSON.")
        }
        guard let model = probe.model, !model.isEmpty else {
            throw .badRequest("'model' is required.")
        }
        guard let messages = probe.messages else {
            throw .badRequest("'messages' is required.")
        }
        guard messages.count > 0 else {
            throw .badRequest("'messages' must contain at least one message.")
        }
        self.model = model
        self.stream = probe.stream ?? false
        self.hasStreamOptions = probe.stream_options != nil
        self.includeUsage = probe.stream_options?.include_usage ?? false
        self.sessionKey = probe.metadata?.user_id
    }

    private struct Probe: Decodable {
        var model: String?
        var stream: Bool?
        var messages: [Skipped]?
        var stream_options: StreamOptions?
        var metadata: Metadata?
    }

    private struct Metadata: Decodable {
        var user_id: String?
    }

    private struct StreamOptions: Decodable {
        var include_usage: Bool?
    }

    private struct Skipped: Decodable {
        init(from decoder: any Decoder) throws {}
    }
}

extension [any CodingKey] {
    var dottedPath: String {
        var path = ""
        for key in self {
            if let index = key.intValue {
                path += "[\(index)]"
            } else {
                path += path.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return path
    }
}

extension Data {
    init(buffer: ByteBuffer) {
        self = buffer.withUnsafeReadableBytes { Data($0) }
    }
}
