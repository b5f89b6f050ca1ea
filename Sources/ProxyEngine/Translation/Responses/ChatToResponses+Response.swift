import NIOCore

/// A Chat Completions answer as a Responses API answer, for a Responses client on a translated
/// route (an Anthropic upstream's answer comes here after `AnthropicToOpenAI.response`).
public enum ChatToResponses {
    public static func response(_ completion: JSONValue, context: ResponsesRequestContext, created: Int) throws(GatewayError) -> JSONValue {
        guard case .object = completion, let choice = completion["choices"]?.arrayValue?.first else {
            throw .upstreamFailed("The upstream's answer has no choice.")
        }
        let message = choice["message"]
        var output: [JSONValue] = []
        if let reasoning = message?["reasoning_content"]?.stringValue, !reasoning.isEmpty {
            output.append(
                ResponsesObjects.reasoning(
                    id: ResponsesObjects.id("rs"), summary: reasoning, signature: message?["reasoning_signature"]?.stringValue))
        }
        let (status, incompleteReason) = ResponsesObjects.status(forFinishReason: choice["finish_reason"]?.stringValue)
        if let text = message?["content"]?.stringValue, !text.isEmpty {
            // Text cut at the output limit is an incomplete message, as OpenAI marks it.
            output.append(ResponsesObjects.message(id: ResponsesObjects.id("msg"), text: text, status: status.ofLastItem))
        }
        for call in message?["tool_calls"]?.arrayValue ?? [] {
            output.append(
                ResponsesObjects.functionCall(
                    id: ResponsesObjects.id("fc"), callID: call["id"]?.stringValue ?? ResponsesObjects.id("call"),
                    name: context.toolNames.original(call["function"]?["name"]?.stringValue ?? ""),
                    arguments: call["function"]?["arguments"]?.stringValue ?? "{}", status: .completed))
        }
        let usage = completion["usage"].map { TranslatedUsage(openAI: $0) }
        return ResponsesObjects.response(
            id: ResponsesObjects.id("resp"), model: context.model, created: created, status: status, output: output, usage: usage,
            reasoningTokens: completion["usage"]?["completion_tokens_details"]?["reasoning_tokens"]?.intValue ?? 0,
            incompleteReason: incompleteReason, echoed: context.echoed)
    }
}
