import Foundation
import HTTPTypes
import Hummingbird
import ProxyEngine

/// `GET /auth/quota`: the caller's monthly quota: tier, period, limits, used, remaining,
/// `resets_at`. Limits of 0 mean unlimited, and their `remaining` is null. Dollars (`usd`) are
/// spent this month, the budget and what remains of it.
struct QuotaRoute: Sendable {
    let gateway: Gateway

    func handle(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        do {
            let principal = try await self.gateway.authenticator.authenticate(request.headers, now: self.gateway.now())
            let (subject, limits) = principal.quotaSubject(tiers: self.gateway.config.quota.tiers)
            // With a shared store, the other instances' counts too (as this one knows them, if
            // the store is away).
            try? await self.gateway.quota.synchronize(subjects: [subject])
            let (used, period) = self.gateway.quota.usage(of: subject)
            var json = JSONWriter()
            json.append(#"{"user":"#)
            json.appendString(principal.user)
            json.append(#","tier":"#)
            json.appendString(principal.tier)
            json.append(#","subject":"#)
            json.appendString(subject.hasPrefix("key:") ? "key" : "user")
            json.append(#","period":"#)
            json.appendString(period.key)
            json.append(#","limits":{"monthly_requests":"#)
            json.appendInt(limits.monthlyRequests)
            json.append(#","monthly_tokens":"#)
            json.appendInt(limits.monthlyTokens)
            json.append(#","monthly_usd":"#)
            json.append(Microdollars.dollars(limits.monthlyMicrodollars))
            json.append(#"},"used":{"requests":"#)
            json.appendInt(used.requests)
            json.append(#","tokens":"#)
            json.appendInt(used.tokens)
            json.append(#","usd":"#)
            json.append(Microdollars.dollars(used.microdollars))
            json.append(#"},"remaining":{"requests":"#)
            json.append(limits.monthlyRequests > 0 ? String(max(0, limits.monthlyRequests - used.requests)) : "null")
            json.append(#","tokens":"#)
            json.append(limits.monthlyTokens > 0 ? String(max(0, limits.monthlyTokens - used.tokens)) : "null")
            json.append(#","usd":"#)
            json.append(
                limits.monthlyMicrodollars > 0 ? Microdollars.dollars(max(0, limits.monthlyMicrodollars - used.microdollars)) : "null")
            json.append(#"},"resets_at":"#)
            json.appendString(Date(timeIntervalSince1970: period.resetsAt).formatted(.iso8601))
            json.append("}")
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: json.buffer))
        } catch let error as GatewayError {
            return .error(error, format: .openAI)
        }
    }
}
