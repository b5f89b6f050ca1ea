import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ProxyEngine

/// `GET /admin/accounts`: every provider's upstream accounts, with their health as the pool sees
/// it (never a key or a token).
struct AdminAccountsRoute: Sendable {
    let gateway: Gateway

    func handle(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        do {
            try AdminAuthorization.check(request.headers, adminKey: self.gateway.config.auth.adminKey)
        } catch {
            return .error(error, format: .openAI)
        }
        var json = JSONWriter()
        json.append(#"{"object":"list","data":["#)
        var first = true
        for (index, provider) in self.gateway.config.providers.enumerated() {
            guard let pool = self.gateway.pools[index] else { continue }
            for status in await pool.statuses() {
                if !first { json.append(",") }
                first = false
                json.append(#"{"provider":"#)
                json.appendString(provider.name)
                json.append(#","account":"#)
                json.appendString(status.name)
                json.append(#","strategy":"#)
                json.appendString(provider.strategy.rawValue)
                json.append(#","healthy":"#)
                json.append(status.healthy ? "true" : "false")
                json.append(#","health":"#)
                json.append(String(format: "%.3f", status.health))
                json.append(#","in_flight":"#)
                json.appendInt(status.inFlight)
                json.append(#","reason":"#)
                if let reason = status.reason { json.appendString(reason) } else { json.append("null") }
                json.append("}")
            }
        }
        json.append("]}")
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: json.buffer))
    }
}
