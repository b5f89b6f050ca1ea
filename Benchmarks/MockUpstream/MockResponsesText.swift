import NIOCore
import ProxyEngine

/// A plain-text Responses-API stream, written event by event with `JSONWriter` (no JSON values):
/// the load `proxy-bench` puts through a native route, at the cost of a Chat stream's events.
/// The same events, field for field, as `ChatToResponsesStream` writes for a text answer.
struct MockResponsesText: Sendable {
    let completion: MockCompletion
    let responseID: String
    let messageID: String

    init(completion: MockCompletion) {
        self.completion = completion
        self.responseID = ResponsesObjects.id("resp")
        self.messageID = ResponsesObjects.id("msg")
    }

    /// created, in_progress, the item and its part, one delta per piece, the three `done`s,
    /// completed.
    var eventCount: Int { self.completion.chunks + 8 }

    func event(_ index: Int) -> ByteBuffer {
        let chunks = self.completion.chunks
        switch index {
        case 0: return self.responseEvent("response.created", index, status: "in_progress")
        case 1: return self.responseEvent("response.in_progress", index, status: "in_progress")
        case 2:
            return self.write("response.output_item.added", index) { json in
                json.append(#","output_index":0,"item":"#)
                self.appendMessage(&json, done: false)
            }
        case 3:
            return self.write("response.content_part.added", index) { json in
                self.appendItemPosition(&json)
                json.append(#","part":{"type":"output_text","text":"","annotations":[]}"#)
            }
        case 4..<(4 + chunks):
            return self.write("response.output_text.delta", index) { json in
                self.appendItemPosition(&json)
                json.append(#","delta":"#)
                json.appendString(MockCompletion.piece(index - 4))
                json.append(#","logprobs":[]"#)
            }
        case 4 + chunks:
            return self.write("response.output_text.done", index) { json in
                self.appendItemPosition(&json)
                json.append(#","text":"#)
                json.appendString(self.completion.text)
                json.append(#","logprobs":[]"#)
            }
        case 5 + chunks:
            return self.write("response.content_part.done", index) { json in
                self.appendItemPosition(&json)
                json.append(#","part":{"type":"output_text","text":"#)
                json.appendString(self.completion.text)
                json.append(#","annotations":[]}"#)
            }
        case 6 + chunks:
            return self.write("response.output_item.done", index) { json in
                json.append(#","output_index":0,"item":"#)
                self.appendMessage(&json, done: true)
            }
        default:
            return self.responseEvent("response.completed", index, status: "completed")
        }
    }

    private func write(_ type: String, _ sequence: Int, _ fields: (inout JSONWriter) -> Void) -> ByteBuffer {
        var json = JSONWriter(capacity: 512)
        json.append("event: ")
        json.append(type)
        json.append(#"\#ndata: {"type":"#)
        json.appendString(type)
        json.append(#","sequence_number":"#)
        json.appendInt(sequence)
        fields(&json)
        json.append("}\n\n")
        return json.buffer
    }

    private func responseEvent(_ type: String, _ sequence: Int, status: String) -> ByteBuffer {
        self.write(type, sequence) { json in
            json.append(#","response":{"id":"#)
            json.appendString(self.responseID)
            json.append(#","object":"response","created_at":"#)
            json.appendInt(self.completion.created)
            json.append(#","status":"#)
            json.appendString(status)
            json.append(#","error":null,"model":"#)
            json.appendString(self.completion.model)
            json.append(#","output":["#)
            if status == "completed" { self.appendMessage(&json, done: true) }
            json.append(#"],"incomplete_details":null,"usage":"#)
            if status == "completed" {
                let prompt = self.completion.promptTokens
                let output = self.completion.completionTokens
                json.append(#"{"input_tokens":"#)
                json.appendInt(prompt)
                json.append(#","input_tokens_details":{"cached_tokens":0},"output_tokens":"#)
                json.appendInt(output)
                json.append(#","output_tokens_details":{"reasoning_tokens":0},"total_tokens":"#)
                json.appendInt(prompt + output)
                json.append("}")
            } else {
                json.append("null")
            }
            json.append(#","tools":[],"tool_choice":"auto","parallel_tool_calls":true}"#)
        }
    }

    private func appendItemPosition(_ json: inout JSONWriter) {
        json.append(#","item_id":"#)
        json.appendString(self.messageID)
        json.append(#","output_index":0,"content_index":0"#)
    }

    private func appendMessage(_ json: inout JSONWriter, done: Bool) {
        json.append(#"{"id":"#)
        json.appendString(self.messageID)
        json.append(#","type":"message","status":"#)
        json.append(done ? #""completed""# : #""in_progress""#)
        json.append(#","role":"assistant","content":["#)
        if done {
            json.append(#"{"type":"output_text","text":"#)
            json.appendString(self.completion.text)
            json.append(#","annotations":[],"logprobs":[]}"#)
        }
        json.append("]}")
    }
}
