import Foundation
import HTTPTypes
import Hummingbird
import ProxyEngine

/// `POST /v1beta/models/{model}:{method}` and `/v1/models/{model}:{method}`: Gemini's API, to any
/// provider kind (`CompletionRoute` with the model and the streaming taken from the path). A
/// virtual key comes in `x-goog-api-key` or in `?key=`, which is moved into that header here and
/// never logged (the access log writes the path alone).
struct GeminiRoute: Sendable {
    let gateway: Gateway
    /// The door's prefix (`/v1beta/models` or `/v1/models`), its metrics' `route` label.
    let route: String

    /// `request` with a `?key=` credential in `x-goog-api-key`, when it presents no other.
    static func movingQueryKey(_ request: Request) -> Request {
        guard request.headers[.xGoogAPIKey] == nil, request.headers[.authorization] == nil, request.headers[.xAPIKey] == nil,
            let key = request.uri.queryParameters.get("key"), !key.isEmpty
        else { return request }
        var head = request.head
        head.headerFields[.xGoogAPIKey] = key
        return Request(head: head, body: request.body)
    }

    func handle(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let request = Self.movingQueryKey(request)
        let method: GeminiTarget.Method
        do {
            // Hummingbird leaves path segments encoded: a name with a `/` comes as `%2F`.
            let segment = context.parameters.get("target") ?? ""
            method = try GeminiTarget.method(segment.removingPercentEncoding ?? segment)
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
        case .embed(let model, let embed):
            return try await EmbeddingsRoute(gateway: self.gateway, caller: .gemini(model: model, embed, route: self.route)).handle(
                request, context: context)
        }
    }
}
