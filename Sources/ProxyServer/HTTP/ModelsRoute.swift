import HTTPTypes
import Hummingbird
import ProxyEngine

/// `GET /v1/models`: the models this caller may use, by exact name (aliases and literal
/// patterns; a glob such as `deepseek-*` names a family, not a model, and is not listed).
struct ModelsRoute: Sendable {
    let gateway: Gateway

    func handle(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let principal: Principal
        do {
            principal = try await self.gateway.authenticator.authenticate(request.headers, now: self.gateway.now())
        } catch let error as GatewayError {
            return .error(error, format: .openAI)
        }
        let models = self.gateway.router.listedModels.filter { principal.allows(model: $0.id) }
        var json = JSONWriter(capacity: 64 + models.count * 96)
        json.append(#"{"object":"list","data":["#)
        for (index, model) in models.enumerated() {
            if index > 0 { json.append(",") }
            json.append(#"{"id":"#)
            json.appendString(model.id)
            json.append(#","object":"model","created":0,"owned_by":"#)
            json.appendString(model.provider.name)
            json.append("}")
        }
        json.append("]}")
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: json.buffer))
    }
}
