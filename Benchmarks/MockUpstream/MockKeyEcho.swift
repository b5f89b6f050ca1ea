import NIOCore
import ProxyEngine

/// A successful answer that quotes the credential it was sent (`x-mock-fault: echo-key`), as an
/// upstream that reflects its input might: whole, or streamed with the key split between two
/// writes, so the gateway's scrubber is tested across the reads it arrives in.
struct MockKeyEcho {
    let key: String
    let format: APIFormat

    var text: String { "your key is \(self.key) indeed" }

    func wholeAnswer() -> ByteBuffer {
        var json = JSONWriter()
        switch self.format {
        // The echo fault is served on the Chat, Messages and Responses routes only.
        case .openAI, .gemini:
            json.append(
                #"{"id":"chatcmpl-echo","object":"chat.completion","created":0,"model":"echo","choices":[{"index":0,"message":{"role":"assistant","content":"#
            )
            json.appendString(self.text)
            json.append(#"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}"#)
        case .responses:
            json.append(
                #"{"id":"resp_echo","object":"response","created_at":0,"status":"completed","model":"echo","output":[{"id":"msg_echo","type":"message","status":"completed","role":"assistant","content":[{"type":"output_text","annotations":[],"text":"#
            )
            json.appendString(self.text)
            json.append(#"}]}],"usage":{"input_tokens":1,"output_tokens":1,"total_tokens":2}}"#)
        case .anthropic:
            json.append(#"{"id":"msg_echo","type":"message","role":"assistant","model":"echo","content":[{"type":"text","text":"#)
            json.appendString(self.text)
            json.append(#"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":1,"output_tokens":1}}"#)
        }
        return json.buffer
    }

    /// The stream's writes, in order; the key is cut in two between the first and the second.
    func streamWrites() -> [ByteBuffer] {
        var event = JSONWriter()
        let before: String
        let after: String
        switch self.format {
        case .openAI, .gemini:
            event.append(
                #"data: {"id":"chatcmpl-echo","object":"chat.completion.chunk","created":0,"model":"echo","choices":[{"index":0,"delta":{"content":"#
            )
            event.appendString(self.text)
            event.append(#"},"finish_reason":null}]}"#)
            event.append("\n\n")
            before = ""
            after =
                #"data: {"id":"chatcmpl-echo","object":"chat.completion.chunk","created":0,"model":"echo","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#
                + "\n\ndata: [DONE]\n\n"
        case .responses:
            before =
                "event: response.created\ndata: "
                + #"{"type":"response.created","sequence_number":0,"response":{"id":"resp_echo","object":"response","status":"in_progress","output":[]}}"#
                + "\n\n"
            event.append("event: response.output_text.delta\ndata: ")
            event.append(
                #"{"type":"response.output_text.delta","sequence_number":1,"item_id":"msg_echo","output_index":0,"content_index":0,"delta":"#
            )
            event.appendString(self.text)
            event.append("}\n\n")
            after =
                "event: response.completed\ndata: "
                + #"{"type":"response.completed","sequence_number":2,"response":{"id":"resp_echo","object":"response","status":"completed","output":[],"usage":{"input_tokens":1,"output_tokens":1,"total_tokens":2}}}"#
                + "\n\n"
        case .anthropic:
            before =
                "event: message_start\ndata: "
                + #"{"type":"message_start","message":{"id":"msg_echo","type":"message","role":"assistant","model":"echo","content":[],"stop_reason":null,"usage":{"input_tokens":1,"output_tokens":1}}}"#
                + "\n\nevent: content_block_start\ndata: "
                + #"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"# + "\n\n"
            event.append("event: content_block_delta\ndata: ")
            event.append(#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"#)
            event.appendString(self.text)
            event.append("}}\n\n")
            after =
                "event: content_block_stop\ndata: " + #"{"type":"content_block_stop","index":0}"#
                + "\n\nevent: message_delta\ndata: "
                + #"{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":2}}"#
                + "\n\nevent: message_stop\ndata: " + #"{"type":"message_stop"}"# + "\n\n"
        }
        let eventBytes = Array(event.buffer.readableBytesView)
        let cut = (eventBytes.firstRange(of: Array(self.key.utf8))?.lowerBound ?? 0) + self.key.utf8.count / 2
        var quoting = ByteBuffer(string: before)
        quoting.writeBytes(eventBytes[..<cut])
        var rest = ByteBuffer(bytes: eventBytes[cut...])
        rest.writeString(after)
        return [quoting, rest]
    }
}
