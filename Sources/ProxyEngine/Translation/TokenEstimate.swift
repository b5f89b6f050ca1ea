/// A documented estimate of a Messages request's input tokens, for `count_tokens` on a
/// provider that cannot count them: four bytes of text per token (the rule of thumb OpenAI and
/// Anthropic both give for English), plus a flat 1,600 per image (a ~1.15 megapixel image, which
/// is what Anthropic resizes large images to).
public enum TokenEstimate {
    public static let bytesPerToken = 4
    public static let tokensPerImage = 1600

    public static func inputTokens(ofMessagesRequest request: JSONValue) -> Int {
        var bytes = 0
        var images = 0
        func visit(_ value: JSONValue) {
            switch value {
            case .string(let text): bytes += text.utf8.count
            case .array(let elements): elements.forEach(visit)
            case .object(let object):
                if object["type"]?.stringValue == "image" {
                    images += 1
                    return
                }
                for member in object.members where member.key != "type" && member.key != "cache_control" { visit(member.value) }
            default: break
            }
        }
        for key in ["system", "messages", "tools"] {
            if let value = request[key] { visit(value) }
        }
        return max(1, (bytes + bytesPerToken - 1) / bytesPerToken + images * tokensPerImage)
    }
}
