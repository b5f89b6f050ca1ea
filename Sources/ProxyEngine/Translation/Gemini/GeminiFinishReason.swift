/// Why a Gemini answer stopped, in the hub's words (Chat's `finish_reason`) and back.
public enum GeminiFinishReason {
    /// Gemini `finishReason` (or a prompt's `blockReason`) → Chat `finish_reason`. A safety
    /// block is the caller's content filter (Messages' `refusal`); a stop with function calls
    /// is a tool turn.
    public static func openAI(_ reason: String?, blocked: Bool = false, hasFunctionCalls: Bool) -> String {
        if blocked { return "content_filter" }
        switch reason {
        case "MAX_TOKENS": return "length"
        case "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY", "LANGUAGE":
            return "content_filter"
        default: return hasFunctionCalls ? "tool_calls" : "stop"
        }
    }

    /// Chat `finish_reason` → Gemini `finishReason` (a tool turn stops as `STOP`, as Gemini's do).
    public static func gemini(fromFinishReason reason: String?) -> String {
        switch reason {
        case "length": "MAX_TOKENS"
        case "content_filter": "SAFETY"
        default: "STOP"
        }
    }
}
