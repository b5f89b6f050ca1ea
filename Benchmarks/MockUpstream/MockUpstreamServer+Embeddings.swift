import Hummingbird
import NIOCore
import ProxyEngine

extension MockUpstreamServer {
    /// `POST /v1/embeddings`: OpenAI's embeddings, deterministic vectors.
    @Sendable func embeddings(_ request: Request, context: BasicRequestContext) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: 64 * 1024 * 1024)
        self.record(request, body: body)
        guard let parsed = JSONValue(parsing: body), let embedding = MockEmbedding.openAI(parsed) else {
            return Self.errorResponse(
                status: .badRequest, message: "invalid embeddings request", type: "invalid_request_error", format: .openAI)
        }
        return Self.json(String(buffer: embedding.encoded))
    }
}
