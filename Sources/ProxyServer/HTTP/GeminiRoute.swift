import HTTPTypes
import Hummingbird
import ProxyEngine

/// A Gemini request's model and method, read from its path (`{model}:{method}`).
struct GeminiTarget: Sendable, Equatable {
    var model: String
    var stream: Bool

    /// The last path segment `gemini-2.5-flash:streamGenerateContent` as a target, or the
    /// method it names when it is not a completion (`countTokens`).
    enum Method: Equatable {
        case completion(GeminiTarget)
        case countTokens(model: String)
    }

    static func method(_ segment: String) throws(GatewayError) -> Method {
        guard let colon = segment.lastIndex(of: ":") else {
            throw .notFound("The path must end in {model}:generateContent, :streamGenerateContent or :countTokens.")
        }
        let model = String(segment[..<colon])
        guard !model.isEmpty else { throw .badRequest("The path names no model.") }
        switch segment[segment.index(after: colon)...] {
        case "generateContent": return .completion(GeminiTarget(model: model, stream: false))
        case "streamGenerateContent": return .completion(GeminiTarget(model: model, stream: true))
        case "countTokens": return .countTokens(model: model)
        default: throw .notFound("The method must be generateContent, streamGenerateContent or countTokens.")
        }
    }
}

/// `POST /v1beta/models/{model}:{method}` and `/v1/models/{model}:{method}`: Gemini's API, to any
/// provider kind (`CompletionRoute` with the model and the streaming taken from the path). A
/// virtual key comes in `x-goog-api-key` or in `?key=`, which is moved into that header here and
/// never logged (the access log writes the path alone).
struct GeminiRoute: Sendable {
    let gateway: Gateway
    /// The door's prefix (`/v1beta/models` or `/v1/models`), its metrics' `route` label.
    let route: String

    func handle(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        var request = request
        if request.headers[.xGoogAPIKey] == nil, request.headers[.authorization] == nil, request.headers[.xAPIKey] == nil,
            let key = request.uri.queryParameters.get("key"), !key.isEmpty
        {
            var head = request.head
            head.headerFields[.xGoogAPIKey] = key
            request = Request(head: head, body: request.body)
        }
        let method: GeminiTarget.Method
        do {
            method = try GeminiTarget.method(context.parameters.get("target") ?? "")
        } catch {
            return .error(error, format: .gemini)
        }
        switch method {
        case .completion(let target):
            var route = CompletionRoute(gateway: self.gateway, route: self.route, format: .gemini)
            route.gemini = target
            return try await route.handle(request, context: context)
        case .countTokens(let model):
            return try await GeminiCountTokensRoute(gateway: self.gateway, route: self.route, model: model).handle(
                request, context: context)
        }
    }
}
