/// Gemini's function calls carry an `id` only on some models; Chat and Messages need one to pair a
/// call with its result. The gateway names a call that came without one, and leaves such a name
/// out when the call goes back to Gemini.
public enum GeminiToolCallID {
    static let prefix = "call_gemini_"

    /// The id of the `index`-th function call of an answer, or the one Gemini gave.
    public static func id(given: String?, index: Int) -> String {
        if let given, !given.isEmpty { return given }
        return Self.prefix + String(index)
    }

    /// Whether `id` is one the gateway made (Gemini never saw it).
    public static func isGateways(_ id: String) -> Bool { id.hasPrefix(Self.prefix) }
}
