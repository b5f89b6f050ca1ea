/// Why a model stopped, in both formats' words.
public enum StopReason {
    /// OpenAI `finish_reason` → Anthropic `stop_reason`.
    public static func anthropic(fromFinishReason reason: String?) -> String {
        switch reason {
        case "length": "max_tokens"
        case "tool_calls", "function_call": "tool_use"
        case "content_filter": "refusal"
        default: "end_turn"
        }
    }

    /// Anthropic `stop_reason` → OpenAI `finish_reason`.
    public static func openAI(fromStopReason reason: String?) -> String {
        switch reason {
        case "max_tokens", "model_context_window_exceeded": "length"
        case "tool_use": "tool_calls"
        case "refusal": "content_filter"
        default: "stop"
        }
    }
}
