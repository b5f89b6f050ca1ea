import NIOCore

/// One event of an Anthropic Messages stream, as the gateway writes it.
public enum AnthropicStreamEvent: Sendable, Equatable {
    public enum Block: Sendable, Equatable {
        case text
        case thinking
        case toolUse(id: String, name: String)
    }

    public enum Delta: Sendable, Equatable {
        case text(String)
        case thinking(String)
        case signature(String)
        case inputJSON(String)
    }

    case messageStart(id: String, model: String, usage: TranslatedUsage)
    case ping
    case contentBlockStart(index: Int, block: Block)
    case contentBlockDelta(index: Int, delta: Delta)
    case contentBlockStop(index: Int)
    case messageDelta(stopReason: String, usage: TranslatedUsage)
    case messageStop

    public var name: String {
        switch self {
        case .messageStart: "message_start"
        case .ping: "ping"
        case .contentBlockStart: "content_block_start"
        case .contentBlockDelta: "content_block_delta"
        case .contentBlockStop: "content_block_stop"
        case .messageDelta: "message_delta"
        case .messageStop: "message_stop"
        }
    }

    /// `event: <name>` and its `data:` line, then the blank line.
    public func write(into output: inout ByteBuffer) {
        output.writeString("event: ")
        output.writeString(self.name)
        var json = JSONWriter()
        json.append(#"{"type":""#)
        json.append(self.name)
        json.append("\"")
        switch self {
        case .messageStart(let id, let model, let usage):
            json.append(#","message":{"id":"#)
            json.appendString(id)
            json.append(#","type":"message","role":"assistant","model":"#)
            json.appendString(model)
            json.append(#","content":[],"stop_reason":null,"stop_sequence":null,"usage":"#)
            json.appendValue(usage.anthropicObject)
            json.append("}")
        case .ping, .messageStop:
            break
        case .contentBlockStart(let index, let block):
            json.append(#","index":"#)
            json.appendInt(index)
            switch block {
            case .text: json.append(#","content_block":{"type":"text","text":""}"#)
            case .thinking: json.append(#","content_block":{"type":"thinking","thinking":"","signature":""}"#)
            case .toolUse(let id, let name):
                json.append(#","content_block":{"type":"tool_use","id":"#)
                json.appendString(id)
                json.append(#","name":"#)
                json.appendString(name)
                json.append(#","input":{}}"#)
            }
        case .contentBlockDelta(let index, let delta):
            json.append(#","index":"#)
            json.appendInt(index)
            switch delta {
            case .text(let text):
                json.append(#","delta":{"type":"text_delta","text":"#)
                json.appendString(text)
            case .thinking(let text):
                json.append(#","delta":{"type":"thinking_delta","thinking":"#)
                json.appendString(text)
            case .signature(let signature):
                json.append(#","delta":{"type":"signature_delta","signature":"#)
                json.appendString(signature)
            case .inputJSON(let partial):
                json.append(#","delta":{"type":"input_json_delta","partial_json":"#)
                json.appendString(partial)
            }
            json.append("}")
        case .contentBlockStop(let index):
            json.append(#","index":"#)
            json.appendInt(index)
        case .messageDelta(let stopReason, let usage):
            json.append(#","delta":{"stop_reason":"#)
            json.appendString(stopReason)
            json.append(#","stop_sequence":null},"usage":"#)
            json.appendValue(usage.anthropicObject)
        }
        json.append("}")
        output.writeString("\ndata: ")
        var body = json.buffer
        output.writeBuffer(&body)
        output.writeString("\n\n")
    }
}
