/// Gemini's paths name the model and the method: `/models/{model}:generateContent`, and
/// `:streamGenerateContent?alt=sse` for a stream (server-sent events; without `alt=sse` Gemini
/// streams one JSON array).
public enum GeminiPath {
    /// The path after a Gemini API root (`.../v1beta`) for `model`. The model is a configured
    /// name or one a client sent that a glob matched: anything but the characters a path
    /// segment takes as they are is percent-encoded, so it cannot leave its segment.
    public static func upstream(model: String, stream: Bool) -> String {
        "/models/" + Self.encoded(model) + (stream ? ":streamGenerateContent?alt=sse" : ":generateContent")
    }

    /// `models/{model}:countTokens`.
    public static func countTokens(model: String) -> String {
        "/models/" + Self.encoded(model) + ":countTokens"
    }

    /// `models/{model}:batchEmbedContents`, for embeddings, or `:embedContent` for one.
    public static func embeddings(model: String, method: GeminiEmbedRequest.Method = .batch) -> String {
        "/models/" + Self.encoded(model) + ":" + method.name
    }

    static func encoded(_ model: String) -> String {
        var result = ""
        for byte in model.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".utf8)
                result += "%"
                result.unicodeScalars.append(Unicode.Scalar(hex[Int(byte >> 4)]))
                result.unicodeScalars.append(Unicode.Scalar(hex[Int(byte & 0x0F)]))
            }
        }
        return result
    }
}
