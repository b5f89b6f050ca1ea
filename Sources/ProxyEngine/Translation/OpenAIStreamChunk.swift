import NIOCore

/// One event of an OpenAI Chat Completions stream, as the gateway writes it.
public enum OpenAIStreamChunk: Sendable, Equatable {
    /// The first chunk: the assistant's role.
    case role
    case content(String)
    /// Reasoning text, in the `reasoning_content` field DeepSeek and GLM use.
    case reasoning(String)
    /// The signature that closes an Anthropic thinking block, carried through the hub for a
    /// Responses client (`reasoning_signature`; never written for a Chat client).
    case reasoningSignature(String)
    case toolCallStart(index: Int, id: String, name: String)
    case toolCallArguments(index: Int, String)
    case finish(reason: String)
    /// The usage-only chunk (`choices: []`) sent when `stream_options.include_usage` is set.
    case usage(TranslatedUsage)
    case done

    /// What every chunk of one stream repeats.
    public struct Header: Sendable {
        public var id: String
        public var model: String
        public var created: Int

        public init(id: String, model: String, created: Int) {
            self.id = id
            self.model = model
            self.created = created
        }
    }

    /// The `data:` event, then the blank line.
    public func write(into output: inout ByteBuffer, header: Header) {
        if case .done = self {
            output.writeString("data: [DONE]\n\n")
            return
        }
        var json = JSONWriter()
        json.append(#"{"id":"#)
        json.appendString(header.id)
        json.append(#","object":"chat.completion.chunk","created":"#)
        json.appendInt(header.created)
        json.append(#","model":"#)
        json.appendString(header.model)
        switch self {
        case .role:
            json.append(#","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]"#)
        case .content(let text):
            json.append(#","choices":[{"index":0,"delta":{"content":"#)
            json.appendString(text)
            json.append(#"},"logprobs":null,"finish_reason":null}]"#)
        case .reasoning(let text):
            json.append(#","choices":[{"index":0,"delta":{"reasoning_content":"#)
            json.appendString(text)
            json.append(#"},"logprobs":null,"finish_reason":null}]"#)
        case .reasoningSignature(let signature):
            json.append(#","choices":[{"index":0,"delta":{"reasoning_signature":"#)
            json.appendString(signature)
            json.append(#"},"logprobs":null,"finish_reason":null}]"#)
        case .toolCallStart(let index, let id, let name):
            json.append(#","choices":[{"index":0,"delta":{"tool_calls":[{"index":"#)
            json.appendInt(index)
            json.append(#","id":"#)
            json.appendString(id)
            json.append(#","type":"function","function":{"name":"#)
            json.appendString(name)
            json.append(#","arguments":""}}]},"logprobs":null,"finish_reason":null}]"#)
        case .toolCallArguments(let index, let arguments):
            json.append(#","choices":[{"index":0,"delta":{"tool_calls":[{"index":"#)
            json.appendInt(index)
            json.append(#","function":{"arguments":"#)
            json.appendString(arguments)
            json.append(#"}}]},"logprobs":null,"finish_reason":null}]"#)
        case .finish(let reason):
            json.append(#","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"#)
            json.appendString(reason)
            json.append("}]")
        case .usage(let usage):
            json.append(#","choices":[],"usage":"#)
            json.appendValue(usage.openAIObject)
        case .done:
            break
        }
        json.append("}")
        output.writeString("data: ")
        var body = json.buffer
        output.writeBuffer(&body)
        output.writeString("\n\n")
    }
}
