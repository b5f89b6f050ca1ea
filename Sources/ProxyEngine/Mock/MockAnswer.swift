import NIOCore

/// A generated answer in either wire format, with the features a client's parser must handle:
/// reasoning when the request asks for it, text pieces `"tok0 "`, `"tok1 "`..., and a tool call
/// when the request offers tools and its last turn is not a tool result. Shared by the
/// in-process `mock` provider and `proxy-mock`; plain OpenAI text answers use the faster
/// `MockCompletion`.
public struct MockAnswer: Sendable {
    public struct ToolCall: Sendable {
        public var id: String
        public var name: String
        public var arguments: String
    }

    public var id: String
    public var model: String
    public var created: Int
    public var reasoning: String?
    public var pieces: [String]
    public var toolCall: ToolCall?
    public var usage: TranslatedUsage

    /// The arguments of every mock tool call, whatever the tool.
    public static let toolArguments = #"{"location":"Paris","unit":"celsius"}"#
    public static let reasoningText = "The user wants an answer. "

    /// The answer to `request` (either format's request body), `chunks` text pieces long.
    public init(request: JSONValue, format: APIFormat, chunks: Int, created: Int, promptTokens: Int) {
        self.id = format == .anthropic ? "msg_mock" : "chatcmpl-mock"
        self.model = request["model"]?.stringValue ?? "mock"
        self.created = created
        let wantsReasoning = request["thinking"]?["type"]?.stringValue == "enabled" || request["reasoning_effort"] != nil
        self.reasoning = wantsReasoning ? Self.reasoningText : nil
        self.pieces = (0..<chunks).map(MockCompletion.piece)
        self.toolCall = Self.toolCall(for: request)
        let outputTokens = chunks + (wantsReasoning ? 5 : 0) + (self.toolCall == nil ? 0 : 10)
        self.usage = TranslatedUsage(inputTokens: promptTokens, outputTokens: outputTokens)
    }

    /// Whether an OpenAI request needs more than `MockCompletion`'s plain text.
    public static func needsFullAnswer(openAIRequest body: ByteBuffer) -> Bool {
        body.withUnsafeReadableBytes { bytes in
            ByteSearch.firstRange(of: Array(#""tools""#.utf8), in: bytes) != nil
                || ByteSearch.firstRange(of: Array(#""reasoning_effort""#.utf8), in: bytes) != nil
        }
    }

    private static func toolCall(for request: JSONValue) -> ToolCall? {
        guard let tools = request["tools"]?.arrayValue, let first = tools.first else { return nil }
        let choice = request["tool_choice"]
        if choice == .string("none") || choice?["type"]?.stringValue == "none" { return nil }
        let last = request["messages"]?.arrayValue?.last
        let answersTool =
            last?["role"]?.stringValue == "tool"
            || (last?["content"]?.arrayValue ?? []).contains { $0["type"]?.stringValue == "tool_result" }
        if answersTool { return nil }
        let named = choice?["name"]?.stringValue ?? choice?["function"]?["name"]?.stringValue
        let names = tools.compactMap { ($0["name"] ?? $0["function"]?["name"])?.stringValue }
        // An agent's turn: run its shell tool, which writes `agentProofFile`.
        if named == nil, let shell = names.first(where: { Self.shellArguments(for: $0) != nil }) {
            return ToolCall(id: "toolu_mock_shell", name: shell, arguments: Self.shellArguments(for: shell)!)
        }
        let name = named ?? (first["name"] ?? first["function"]?["name"])?.stringValue ?? "tool"
        return ToolCall(id: "toolu_mock_1", name: name, arguments: Self.toolArguments)
    }

    /// The file an agent's shell tool call writes, in the agent's working directory.
    public static let agentProofFile = "gateway-agent-proof.txt"
    public static let agentProofText = "written through the gateway"
    private static let agentCommand = "printf '\(agentProofText)' > \(agentProofFile)"

    /// The arguments of the shell tools the real agents offer: Codex's `exec_command` (and its
    /// older `shell`), Claude Code's `Bash`.
    static func shellArguments(for tool: String) -> String? {
        let command = JSONValue.string(Self.agentCommand)
        switch tool {
        case "exec_command": return JSONValue.object(["cmd": command]).encodedString
        case "shell_command", "Bash":
            return JSONValue.object(["command": command, "description": .string("Write the proof file")]).encodedString
        case "shell", "local_shell":
            return JSONValue.object(["command": .array([.string("bash"), .string("-lc"), command])]).encodedString
        default: return nil
        }
    }

    public var text: String { self.pieces.joined() }

    // MARK: OpenAI

    public func openAICompletion() -> ByteBuffer {
        var message: JSONObject = ["role": .string("assistant"), "content": .string(self.text)]
        if let reasoning { message["reasoning_content"] = .string(reasoning) }
        if let toolCall {
            message["tool_calls"] = .array([
                .object([
                    "id": .string(toolCall.id), "type": .string("function"),
                    "function": .object(["name": .string(toolCall.name), "arguments": .string(toolCall.arguments)]),
                ])
            ])
        }
        let completion: JSONObject = [
            "id": .string(self.id), "object": .string("chat.completion"), "created": .int(self.created), "model": .string(self.model),
            "choices": .array([
                .object([
                    "index": .int(0), "message": .object(message), "logprobs": .null,
                    "finish_reason": .string(self.toolCall == nil ? "stop" : "tool_calls"),
                ])
            ]),
            "usage": self.usage.openAIObject,
        ]
        return JSONValue.object(completion).encoded
    }

    /// The stream's chunks in order, `[DONE]` last.
    public func openAIChunks(includeUsage: Bool) -> [OpenAIStreamChunk] {
        var chunks: [OpenAIStreamChunk] = [.role]
        if let reasoning { chunks.append(.reasoning(reasoning)) }
        chunks += self.pieces.map { .content($0) }
        if let toolCall {
            chunks.append(.toolCallStart(index: 0, id: toolCall.id, name: toolCall.name))
            for part in Self.halves(toolCall.arguments) { chunks.append(.toolCallArguments(index: 0, part)) }
        }
        chunks.append(.finish(reason: self.toolCall == nil ? "stop" : "tool_calls"))
        if includeUsage { chunks.append(.usage(self.usage)) }
        chunks.append(.done)
        return chunks
    }

    public var openAIHeader: OpenAIStreamChunk.Header { .init(id: self.id, model: self.model, created: self.created) }

    // MARK: Anthropic

    public func anthropicMessage() -> ByteBuffer {
        var content: [JSONValue] = []
        if let reasoning {
            content.append(.object(["type": .string("thinking"), "thinking": .string(reasoning), "signature": .string("mock-signature")]))
        }
        content.append(.object(["type": .string("text"), "text": .string(self.text)]))
        if let toolCall {
            content.append(
                .object([
                    "type": .string("tool_use"), "id": .string(toolCall.id), "name": .string(toolCall.name),
                    "input": JSONValue(parsing: toolCall.arguments) ?? .object([:]),
                ]))
        }
        let message: JSONObject = [
            "id": .string(self.id), "type": .string("message"), "role": .string("assistant"), "model": .string(self.model),
            "content": .array(content), "stop_reason": .string(self.toolCall == nil ? "end_turn" : "tool_use"),
            "stop_sequence": .null, "usage": self.usage.anthropicObject,
        ]
        return JSONValue.object(message).encoded
    }

    /// The stream's events in order, `message_stop` last.
    public func anthropicEvents() -> [AnthropicStreamEvent] {
        var events: [AnthropicStreamEvent] = [
            .messageStart(
                id: self.id, model: self.model,
                usage: TranslatedUsage(
                    inputTokens: self.usage.inputTokens, outputTokens: 1, cacheReadTokens: self.usage.cacheReadTokens,
                    cacheCreationTokens: self.usage.cacheCreationTokens)),
            .ping,
        ]
        var index = 0
        if let reasoning {
            events += [
                .contentBlockStart(index: index, block: .thinking), .contentBlockDelta(index: index, delta: .thinking(reasoning)),
                .contentBlockDelta(index: index, delta: .signature("mock-signature")), .contentBlockStop(index: index),
            ]
            index += 1
        }
        events.append(.contentBlockStart(index: index, block: .text))
        events += self.pieces.map { .contentBlockDelta(index: index, delta: .text($0)) }
        events.append(.contentBlockStop(index: index))
        index += 1
        if let toolCall {
            events.append(.contentBlockStart(index: index, block: .toolUse(id: toolCall.id, name: toolCall.name)))
            events += Self.halves(toolCall.arguments).map { .contentBlockDelta(index: index, delta: .inputJSON($0)) }
            events.append(.contentBlockStop(index: index))
        }
        events.append(.messageDelta(stopReason: self.toolCall == nil ? "end_turn" : "tool_use", usage: self.usage))
        events.append(.messageStop)
        return events
    }

    /// The stream in `format`, one buffer per event, ready to send.
    public func streamEvents(_ format: APIFormat, includeUsage: Bool) -> [ByteBuffer] {
        switch format {
        case .anthropic:
            return self.anthropicEvents().map { event in
                var buffer = ByteBuffer()
                event.write(into: &buffer)
                return buffer
            }
        case .gemini:
            return self.geminiEvents()
        case .openAI, .responses:
            return self.openAIChunks(includeUsage: includeUsage).map { chunk in
                var buffer = ByteBuffer()
                chunk.write(into: &buffer, header: self.openAIHeader)
                return buffer
            }
        }
    }

    /// Arguments arrive in pieces in real streams: clients must join them.
    private static func halves(_ text: String) -> [String] {
        let middle = text.index(text.startIndex, offsetBy: text.count / 2)
        return [String(text[..<middle]), String(text[middle...])]
    }
}
