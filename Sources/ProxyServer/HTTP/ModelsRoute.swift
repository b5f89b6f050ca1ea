import Foundation
import HTTPTypes
import Hummingbird
import ProxyEngine

/// `GET /v1/models` and `GET /v1/models/{model}`: the models this caller may use, by exact name
/// (aliases and literal patterns; a glob such as `deepseek-*` names a family, not a model, and
/// is not listed, though a model it matches is found). In OpenAI's shape with Anthropic's fields
/// beside (`type`, `display_name`, `created_at`; `has_more`, `first_id`, `last_id`), or in Gemini's
/// (`{"models":[{"name":"models/..."}]}`) under `/v1beta/models` and for a caller that presents
/// Google's credential (`x-goog-api-key` or `?key=`), as google-genai does under `/v1/models`.
struct ModelsRoute: Sendable {
    let gateway: Gateway
    /// Gemini's door (`/v1beta/models`): always Gemini's shape.
    var geminiDoor = false

    func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let (request, format) = self.shaped(request)
        let principal: Principal
        do {
            principal = try await self.gateway.authenticator.authenticate(request.headers, now: self.gateway.now())
        } catch let error as GatewayError {
            return .error(error, format: format)
        }
        let models = self.gateway.router.listedModels.filter { principal.allows(model: $0.id) }
        var json = JSONWriter(capacity: 64 + models.count * 160)
        json.append(format == .gemini ? #"{"models":["# : #"{"object":"list","data":["#)
        for (index, model) in models.enumerated() {
            if index > 0 { json.append(",") }
            Self.append(model.id, provider: model.provider.name, format: format, to: &json)
        }
        json.append("]")
        if format == .openAI {
            // Anthropic's list says where it ends: the anthropic SDK pages on these.
            json.append(#","has_more":false,"first_id":"#)
            if let first = models.first { json.appendString(first.id) } else { json.append("null") }
            json.append(#","last_id":"#)
            if let last = models.last { json.appendString(last.id) } else { json.append("null") }
        }
        json.append("}")
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: json.buffer))
    }

    /// One model, listed or matched by a pattern; 404 (in the caller's shape) for one this
    /// gateway does not serve, 403 for one the caller's key may not use.
    func one(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let (request, format) = self.shaped(request)
        do {
            let principal = try await self.gateway.authenticator.authenticate(request.headers, now: self.gateway.now())
            // Hummingbird leaves path segments encoded: a name with a `/` comes as `%2F`.
            let segment = context.parameters.get("target") ?? ""
            var model = segment.removingPercentEncoding ?? segment
            if format == .gemini, model.hasPrefix("models/") { model.removeFirst("models/".count) }
            let route = try self.gateway.route(model, for: principal)
            var json = JSONWriter(capacity: 192)
            Self.append(model, provider: route.provider.name, format: format, to: &json)
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: json.buffer))
        } catch let error as GatewayError {
            return .error(error, format: format)
        }
    }

    /// The request with a `?key=` credential moved into `x-goog-api-key`, and the shape its
    /// caller reads.
    private func shaped(_ request: Request) -> (Request, APIFormat) {
        let request = GeminiRoute.movingQueryKey(request)
        let google = request.headers[.xGoogAPIKey] != nil && request.headers[.authorization] == nil
        return (request, self.geminiDoor || google ? .gemini : .openAI)
    }

    private static func append(_ id: String, provider: String, format: APIFormat, to json: inout JSONWriter) {
        guard format == .gemini else {
            json.append(#"{"id":"#)
            json.appendString(id)
            json.append(#","object":"model","created":0,"owned_by":"#)
            json.appendString(provider)
            // Anthropic's fields beside OpenAI's: each SDK reads its own and ignores the others.
            json.append(#","type":"model","display_name":"#)
            json.appendString(id)
            json.append(#","created_at":"1970-01-01T00:00:00Z"}"#)
            return
        }
        json.append(#"{"name":"#)
        json.appendString("models/" + id)
        json.append(#","displayName":"#)
        json.appendString(id)
        // The gateway does not know what a model can do: a name that says "embedding" embeds.
        json.append(
            id.lowercased().contains("embed")
                ? #","supportedGenerationMethods":["embedContent","batchEmbedContents"]}"#
                : #","supportedGenerationMethods":["generateContent","streamGenerateContent","countTokens"]}"#)
    }
}
