import NIOCore

/// The mock's Responses API answers: the request is read through the Chat hub, answered as
/// `MockAnswer` answers Chat, and written back with the gateway's Chat-to-Responses adapter, so
/// the mock's Responses stream carries every event a translated route sends.
public enum MockResponses {
    public static func whole(to request: JSONValue, chunks: Int, created: Int, promptTokens: Int) throws(GatewayError) -> ByteBuffer {
        let (answer, context) = try Self.answer(to: request, chunks: chunks, created: created, promptTokens: promptTokens)
        guard let completion = JSONValue(parsing: answer.openAICompletion()) else { throw .upstreamFailed("mock answer") }
        return try ChatToResponses.response(completion, context: context, created: created).encoded
    }

    public static func streamEvents(to request: JSONValue, chunks: Int, created: Int, promptTokens: Int) throws(GatewayError)
        -> [ByteBuffer]
    {
        let (answer, context) = try Self.answer(to: request, chunks: chunks, created: created, promptTokens: promptTokens)
        var translator = ChatToResponsesStream(context: context, created: created)
        var events: [ByteBuffer] = []
        for chunk in answer.streamEvents(.openAI, includeUsage: true) {
            let translated = translator.translate(batch: chunk)
            if translated.output.readableBytes > 0 { events.append(translated.output) }
        }
        let end = translator.finish()
        if end.output.readableBytes > 0 { events.append(end.output) }
        return events
    }

    private static func answer(to request: JSONValue, chunks: Int, created: Int, promptTokens: Int) throws(GatewayError) -> (
        MockAnswer, ResponsesRequestContext
    ) {
        let (chat, context) = try ResponsesToChat.request(request, model: request["model"]?.stringValue ?? "mock")
        return (MockAnswer(request: chat, format: .openAI, chunks: chunks, created: created, promptTokens: promptTokens), context)
    }
}
