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
        var json = JSONWriter()
        json.append(#"{"object":"list","data":["#)
        var first = true
        for provider in self.gateway.providers {
            guard let pool = provider.pool else { continue }
            for status in pool.statuses() {
                if !first { json.append(",") }
                first = false
                json.append(#"{"provider":"#)
                json.appendString(provider.name)
                json.append(#","account":"#)
                json.appendString(status.name)
                json.append(#","strategy":"#)
                json.appendString(provider.config.strategy.rawValue)
                json.append(#","healthy":"#)
                json.append(status.healthy ? "true" : "false")
                json.append(#","health":"#)
                json.append(String(format: "%.3f", status.health))
                json.append(#","in_flight":"#)
                json.appendInt(status.inFlight)
                json.append(#","reason":"#)
                if let reason = status.reason { json.appendString(reason) } else { json.append("null") }
                json.append(#","until":"#)
                if let until = status.until { json.appendInt(Int(until.rounded(.up))) } else { json.append("null") }
                json.append("}")
            }
        }
        json.append("]}")
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: json.buffer))
    }

    /// `POST /admin/accounts/health-check`: probes every account with a cheap authenticated call
    /// and puts the ones that answer back in rotation (a refused key that was fixed, an open
    /// circuit that recovered).
    func healthCheck(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        var json = JSONWriter()
        json.append(#"{"object":"list","data":["#)
        var first = true
        for provider in self.gateway.providers {
            guard let pool = provider.pool else { continue }
            let deadline = NIODeadline.now() + .seconds(10)
            for (accountIndex, account) in provider.upstream.accounts.enumerated() {
                let healthy = await provider.upstream.probe(account, deadline: deadline, logger: context.logger)
                if healthy { pool.enable(accountIndex) }
                self.gateway.metrics.setAccountHealthy(
                    provider: provider.name, account: account.name, healthy: pool.statuses()[accountIndex].healthy)
                if !first { json.append(",") }
                first = false
                json.append(#"{"provider":"#)
                json.appendString(provider.name)
                json.append(#","account":"#)
                json.appendString(account.name)
                json.append(#","healthy":"#)
                json.append(healthy ? "true" : "false")
                json.append("}")
            }
        }
        json.append("]}")
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: json.buffer))
    }
}
