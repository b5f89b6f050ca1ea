/// Gemini's function calls carry an `id` only on some models; Chat and Messages need one to pair a
/// call with its result. The gateway names a call that came without one, and leaves such a name
/// out when the call goes back to Gemini.
public enum GeminiToolCallID {
    static let prefix = "call_gemini_"

    /// The id of the `index`-th function call of an answer, or the one Gemini gave. An answer's
    /// `responseId` makes the name unique across the turns of a conversation: an agent keys its
    /// calls' results by id, and Messages refuses a `tool_use` id seen before.
    public static func id(given: String?, index: Int, response: String? = nil) -> String {
        if let given, !given.isEmpty { return given }
        // Only the characters every format's id allows (Messages': letters, digits, _ and -).
        var unique = String.UnicodeScalarView()
        unique.append(contentsOf: (response ?? "").unicodeScalars.lazy.filter(Self.isIDCharacter).prefix(64))
        guard !unique.isEmpty else { return Self.prefix + String(index) }
        return Self.prefix + String(unique) + "_" + String(index)
    }

    private static func isIDCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", "_", "-": true
        default: false
        }
    }

    /// Whether `id` is one the gateway made (Gemini never saw it).
    public static func isGateways(_ id: String) -> Bool { id.hasPrefix(Self.prefix) }
}
