import NIOCore

/// A Chat Completions `chat.completion.chunk` stream as a Responses API stream, for a Responses
/// client on a translated route.
///
/// Reasoning, text and each tool call become output items in the order they start; an item is
/// done when the next one starts or the answer finishes. Every event carries the next
/// `sequence_number`; the stream ends with `response.completed` (or `response.incomplete`),
/// whose response holds every item and the usage.
public struct ChatToResponsesStream: StreamTranslator {
    private enum OpenItem {
        case reasoning(id: String, text: String, signature: String?)
        case message(id: String, text: String)
        case functionCall(index: Int, id: String, callID: String, name: ResponsesToolNames.Original, arguments: String)
    }

    private let context: ResponsesRequestContext
    private let responseID = ResponsesObjects.id("resp")
    private let created: Int
    private var sequence = 0
    private var started = false
    private var open: OpenItem?
    private var done: [JSONValue] = []
    private var finishReason: String?
    private var reportedUsage: TranslatedUsage?
    private var reasoningTokens = 0
    private var validator = ResponsesStreamValidator()

    public init(context: ResponsesRequestContext, created: Int) {
        self.context = context
        self.created = created
    }

    public private(set) var isComplete = false
    public private(set) var completedResponse: JSONValue?
    public var callerFormat: APIFormat { .responses }
    public var usage: TokenUsage? { self.reportedUsage?.tokenUsage }

    public mutating func translate(_ event: SSEEvent, into output: inout ByteBuffer) throws(StreamViolation) {
        if event.data == "[DONE]" {
            try self.close(into: &output)
            return
        }
        guard let chunk = JSONValue(parsing: event.data), case .object = chunk else {
            throw StreamViolation("an upstream event that is not a chat.completion.chunk")
        }
        if let error = chunk["error"], error != .null {
            throw StreamViolation.upstreamError(error["message"]?.stringValue ?? "an error event")
        }
        try self.start(into: &output)
        if let usage = chunk["usage"], usage != .null {
            self.reportedUsage = TranslatedUsage(openAI: usage)
            self.reasoningTokens = usage["completion_tokens_details"]?["reasoning_tokens"]?.intValue ?? 0
        }
        guard let choice = chunk["choices"]?.arrayValue?.first(where: { ($0["index"]?.intValue ?? 0) == 0 }) else { return }
        if let delta = choice["delta"] {
            if let reasoning = delta["reasoning_content"]?.stringValue, !reasoning.isEmpty { try self.reasoning(reasoning, into: &output) }
            if let signature = delta["reasoning_signature"]?.stringValue, case .reasoning(let id, let text, _) = self.open {
                self.open = .reasoning(id: id, text: text, signature: signature)
            }
            if let text = delta["content"]?.stringValue, !text.isEmpty { try self.text(text, into: &output) }
            for call in delta["tool_calls"]?.arrayValue ?? [] { try self.toolCall(call, into: &output) }
        }
        if let reason = choice["finish_reason"]?.stringValue {
            self.finishReason = reason
            try self.closeItem(into: &output)
        }
    }

    public mutating func finish(into output: inout ByteBuffer) throws(StreamViolation) {
        // Some OpenAI-compatible servers end without `[DONE]`; a finish reason is end enough.
        guard self.finishReason != nil else { throw StreamViolation("the upstream's stream ended before the answer did") }
        try self.close(into: &output)
    }

    /// `response.failed`, in sequence, with what is known of the response.
    public func failureEvent(_ error: GatewayError) -> ByteBuffer {
        var output = ByteBuffer()
        var copy = self
        // A client's stream state begins at `response.created`: a stream failing before its first
        // event still starts there.
        // Both pass the validator in any state but an ended stream's, which gets nothing more.
        try? copy.start(into: &output)
        let failure: JSONValue = .object(["code": .string(ResponsesObjects.failureCode(error)), "message": .string(error.message)])
        try? copy.emit(
            "response.failed",
            [
                "response": ResponsesObjects.response(
                    id: self.responseID, model: self.context.model, created: self.created, status: .failed, output: self.done,
                    usage: self.reportedUsage, error: failure, echoed: self.context.echoed)
            ],
            into: &output)
        return output
    }

    private mutating func start(into output: inout ByteBuffer) throws(StreamViolation) {
        guard !self.started else { return }
        self.started = true
        let response = ResponsesObjects.response(
            id: self.responseID, model: self.context.model, created: self.created, status: .inProgress, output: [], usage: nil,
            echoed: self.context.echoed)
        try self.emit("response.created", ["response": response], into: &output)
        try self.emit("response.in_progress", ["response": response], into: &output)
    }

    private mutating func reasoning(_ text: String, into output: inout ByteBuffer) throws(StreamViolation) {
        if case .reasoning(let id, let sofar, let signature) = self.open {
            self.open = .reasoning(id: id, text: sofar + text, signature: signature)
            try self.emit(
                "response.reasoning_summary_text.delta",
                ["item_id": .string(id), "output_index": .int(self.done.count), "summary_index": .int(0), "delta": .string(text)],
                into: &output)
            return
        }
        try self.closeItem(into: &output)
        let id = ResponsesObjects.id("rs")
        try self.emit(
            "response.output_item.added",
            ["output_index": .int(self.done.count), "item": ResponsesObjects.reasoning(id: id, summary: nil)], into: &output)
        try self.emit(
            "response.reasoning_summary_part.added",
            ["item_id": .string(id), "output_index": .int(self.done.count), "summary_index": .int(0), "part": Self.summaryPart("")],
            into: &output)
        self.open = .reasoning(id: id, text: "", signature: nil)
        try self.reasoning(text, into: &output)
    }

    private mutating func text(_ text: String, into output: inout ByteBuffer) throws(StreamViolation) {
        if case .message(let id, let sofar) = self.open {
            self.open = .message(id: id, text: sofar + text)
            try self.emit(
                "response.output_text.delta",
                [
                    "item_id": .string(id), "output_index": .int(self.done.count), "content_index": .int(0), "delta": .string(text),
                    "logprobs": .array([]),
                ],
                into: &output)
            return
        }
        try self.closeItem(into: &output)
        let id = ResponsesObjects.id("msg")
        try self.emit(
            "response.output_item.added",
            ["output_index": .int(self.done.count), "item": ResponsesObjects.message(id: id, text: "", status: .inProgress)], into: &output)
        try self.emit(
            "response.content_part.added",
            ["item_id": .string(id), "output_index": .int(self.done.count), "content_index": .int(0), "part": Self.textPart("")],
            into: &output)
        self.open = .message(id: id, text: "")
        try self.text(text, into: &output)
    }

    private mutating func toolCall(_ call: JSONValue, into output: inout ByteBuffer) throws(StreamViolation) {
        let index = call["index"]?.intValue ?? 0
        let arguments = call["function"]?["arguments"]?.stringValue ?? ""
        if case .functionCall(index, let id, let callID, let name, let sofar) = self.open {
            self.open = .functionCall(index: index, id: id, callID: callID, name: name, arguments: sofar + arguments)
            // A custom tool's input sits inside the arguments' JSON: it is told whole, at the end.
            if !arguments.isEmpty && !name.isCustom {
                try self.emit(
                    "response.function_call_arguments.delta",
                    ["item_id": .string(id), "output_index": .int(self.done.count), "delta": .string(arguments)], into: &output)
            }
            return
        }
        guard let upstreamName = call["function"]?["name"]?.stringValue else {
            throw StreamViolation("arguments for tool call \(index) after it ended")
        }
        try self.closeItem(into: &output)
        let callID = call["id"]?.stringValue ?? ResponsesObjects.id("call")
        let name = self.context.toolNames.original(upstreamName)
        let id = ResponsesObjects.id(name.isCustom ? "ctc" : "fc")
        try self.emit(
            "response.output_item.added",
            [
                "output_index": .int(self.done.count),
                "item": ResponsesObjects.functionCall(id: id, callID: callID, name: name, arguments: "", status: .inProgress),
            ],
            into: &output)
        self.open = .functionCall(index: index, id: id, callID: callID, name: name, arguments: "")
        try self.toolCall(call, into: &output)
    }

    /// Ends the open item: its `.done` events, then `response.output_item.done`.
    private mutating func closeItem(into output: inout ByteBuffer) throws(StreamViolation) {
        guard let open = self.open else { return }
        self.open = nil
        let index = JSONValue.int(self.done.count)
        let item: JSONValue
        switch open {
        case .reasoning(let id, let text, let signature):
            try self.emit(
                "response.reasoning_summary_text.done",
                ["item_id": .string(id), "output_index": index, "summary_index": .int(0), "text": .string(text)], into: &output)
            try self.emit(
                "response.reasoning_summary_part.done",
                ["item_id": .string(id), "output_index": index, "summary_index": .int(0), "part": Self.summaryPart(text)], into: &output)
            item = ResponsesObjects.reasoning(id: id, summary: text, signature: signature)
        case .message(let id, let text):
            try self.emit(
                "response.output_text.done",
                ["item_id": .string(id), "output_index": index, "content_index": .int(0), "text": .string(text), "logprobs": .array([])],
                into: &output)
            try self.emit(
                "response.content_part.done",
                ["item_id": .string(id), "output_index": index, "content_index": .int(0), "part": Self.textPart(text)], into: &output)
            // Only the item open at the end has a finish reason: text cut at the output limit is
            // an incomplete message.
            item = ResponsesObjects.message(
                id: id, text: text, status: ResponsesObjects.status(forFinishReason: self.finishReason).0.ofLastItem)
        case .functionCall(_, let id, let callID, let name, let arguments):
            let arguments = arguments.isEmpty ? "{}" : arguments
            if name.isCustom {
                let input = JSONValue.string(ResponsesObjects.customInput(arguments))
                try self.emit(
                    "response.custom_tool_call_input.delta", ["item_id": .string(id), "output_index": index, "delta": input], into: &output)
                try self.emit(
                    "response.custom_tool_call_input.done", ["item_id": .string(id), "output_index": index, "input": input], into: &output)
            } else {
                try self.emit(
                    "response.function_call_arguments.done",
                    ["item_id": .string(id), "output_index": index, "name": .string(name.name), "arguments": .string(arguments)],
                    into: &output)
            }
            item = ResponsesObjects.functionCall(id: id, callID: callID, name: name, arguments: arguments, status: .completed)
        }
        try self.emit("response.output_item.done", ["output_index": index, "item": item], into: &output)
        self.done.append(item)
    }

    private mutating func close(into output: inout ByteBuffer) throws(StreamViolation) {
        try self.start(into: &output)
        try self.closeItem(into: &output)
        let (status, incompleteReason) = ResponsesObjects.status(forFinishReason: self.finishReason)
        let response = ResponsesObjects.response(
            id: self.responseID, model: self.context.model, created: self.created, status: status, output: self.done,
            usage: self.reportedUsage ?? TranslatedUsage(), reasoningTokens: self.reasoningTokens, incompleteReason: incompleteReason,
            echoed: self.context.echoed)
        try self.emit(status == .completed ? "response.completed" : "response.incomplete", ["response": response], into: &output)
        self.completedResponse = response
        self.isComplete = true
    }

    private mutating func emit(_ type: String, _ fields: JSONObject, into output: inout ByteBuffer) throws(StreamViolation) {
        try self.validator.check(
            type, item: fields["item_id"]?.stringValue ?? fields["item"]?["id"]?.stringValue, outputIndex: fields["output_index"]?.intValue)
        var event: JSONObject = ["type": .string(type), "sequence_number": .int(self.sequence)]
        for (key, value) in fields.members { event[key] = value }
        self.sequence += 1
        output.writeString("event: ")
        output.writeString(type)
        output.writeString("\ndata: ")
        var body = JSONValue.object(event).encoded
        output.writeBuffer(&body)
        output.writeString("\n\n")
    }

    private static func textPart(_ text: String) -> JSONValue {
        .object(["type": .string("output_text"), "text": .string(text), "annotations": .array([])])
    }

    private static func summaryPart(_ text: String) -> JSONValue {
        .object(["type": .string("summary_text"), "text": .string(text)])
    }
}
