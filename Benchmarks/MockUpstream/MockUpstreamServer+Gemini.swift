import FoundationEssentials
import HTTPTypes
import Hummingbird
import NIOCore
import ProxyEngine

extension MockUpstreamServer {
    /// `POST /v1beta/models/{model}:{method}` (and under `/v1/`): Gemini's `generateContent`,
    /// `streamGenerateContent` (`alt=sse`), `countTokens`, `embedContent` and `batchEmbedContents`, with the
    /// same faults as the other formats, in Google's error shape.
    @Sendable func gemini(_ request: Request, context: BasicRequestContext) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: 64 * 1024 * 1024)
        self.record(request, body: body)
        let target = context.parameters.get("target") ?? ""
        guard let colon = target.lastIndex(of: ":") else {
            return Self.errorResponse(status: .notFound, message: "no method in \(target)", type: "NOT_FOUND", format: .gemini)
        }
        let model = String(target[..<colon])
        let method = String(target[target.index(after: colon)...])
        switch self.pickFault(self.effectiveBehaviour(request.headers), headers: request.headers) {
        case .error500?:
            return Self.errorResponse(status: .internalServerError, message: "mock upstream failure", type: "INTERNAL", format: .gemini)
        case .error429?:
            // As Google does: no `retry-after`, the wait in the body's `RetryInfo`.
            let wait = request.headers[HTTPField.Name("x-mock-retry-after")!].flatMap { Int($0) } ?? 1
            let body =
                #"{"error":{"code":429,"message":"mock rate limit","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"\#(wait)s"}]}}"#
            return Response(
                status: .tooManyRequests, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
        case .error401Echo?:
            return Self.errorResponse(
                status: .unauthorized, message: "API key not valid: \(Self.key(request.headers) ?? "").", type: "UNAUTHENTICATED",
                format: .gemini)
        default:
            break
        }
        guard let parsed = JSONValue(parsing: body) else {
            return Self.errorResponse(status: .badRequest, message: "invalid JSON", type: "INVALID_ARGUMENT", format: .gemini)
        }
        if method == "embedContent" || method == "batchEmbedContents", MockEmbedding.refuses(parsed) {
            return Self.errorResponse(status: .badRequest, message: "mock refuses this input", type: "INVALID_ARGUMENT", format: .gemini)
        }
        switch method {
        case "countTokens":
            let contents = parsed["contents"] ?? parsed["generateContentRequest"]?["contents"] ?? .array([])
            let tokens = max(1, contents.encoded.readableBytes / 4)
            return Self.json(#"{"totalTokens":\#(tokens)}"#)
        case "batchEmbedContents":
            // As Google does: each request names the path's model.
            for item in parsed["requests"]?.arrayValue ?? [] where item["model"]?.stringValue != "models/" + model {
                return Self.errorResponse(
                    status: .badRequest, message: "each request's model must be models/\(model)", type: "INVALID_ARGUMENT", format: .gemini)
            }
            return Self.json(String(buffer: MockEmbedding.geminiBatch(parsed).encoded))
        case "embedContent":
            return Self.json(String(buffer: MockEmbedding.geminiSingle(parsed).encoded))
        case "generateContent", "streamGenerateContent":
            break
        default:
            return Self.errorResponse(status: .notFound, message: "unknown method \(method)", type: "NOT_FOUND", format: .gemini)
        }
        var chunks = self.effectiveBehaviour(request.headers).chunks
        if let limit = parsed["generationConfig"]?["maxOutputTokens"]?.intValue { chunks = max(1, min(chunks, limit)) }
        let answer: MockAnswer
        do {
            answer = try MockAnswer(
                geminiRequest: parsed, model: model, chunks: chunks, created: Int(Date().timeIntervalSince1970),
                promptTokens: max(1, body.readableBytes / 4))
        } catch {
            return Self.errorResponse(status: .badRequest, message: error.message, type: "INVALID_ARGUMENT", format: .gemini)
        }
        guard method == "streamGenerateContent" else {
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: answer.geminiResponse()))
        }
        let events = answer.geminiEvents()
        return Response(
            status: .ok, headers: [.contentType: "text/event-stream"],
            body: ResponseBody { writer in
                for event in events { try await writer.write(event) }
                try await writer.finish(nil)
            })
    }

    static func json(_ text: String) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
