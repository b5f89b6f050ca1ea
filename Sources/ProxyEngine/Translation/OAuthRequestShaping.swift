import NIOCore

/// What an Anthropic subscription (OAuth) account requires of a Messages request: the system
/// prompt must open with Claude Code's, and the `oauth` beta must be named.
public enum OAuthRequestShaping {
    public static let systemPrompt = "You are Claude Code, Anthropic's official CLI for Claude."
    public static let betaFlag = "oauth-2025-04-20"

    /// The body with the required system prompt first (left as is when it is there already).
    public static func addingSystemPrompt(to body: ByteBuffer) -> ByteBuffer {
        guard case .object(var request) = JSONValue(parsing: body) else { return body }
        let required: JSONValue = .object(["type": .string("text"), "text": .string(Self.systemPrompt)])
        switch request["system"] {
        case .string(let text) where text.hasPrefix(Self.systemPrompt):
            return body
        case .string(let text):
            request["system"] = .array([required, .object(["type": .string("text"), "text": .string(text)])])
        case .array(let blocks):
            if blocks.first?["text"]?.stringValue?.hasPrefix(Self.systemPrompt) == true { return body }
            request["system"] = .array([required] + blocks)
        default:
            request["system"] = .array([required])
        }
        return JSONValue.object(request).encoded
    }

    /// `anthropic-beta` with the OAuth flag added to what the client sent.
    public static func betaHeader(adding existing: String?) -> String {
        guard let existing, !existing.isEmpty else { return Self.betaFlag }
        if existing.split(separator: ",").contains(where: { $0.trimmingSpaces() == Self.betaFlag }) { return existing }
        return existing + "," + Self.betaFlag
    }
}
