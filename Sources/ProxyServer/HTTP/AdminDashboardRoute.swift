import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ProxyEngine

/// The admin API routes the dashboard needs beyond keys, usage records and accounts: an
/// overview, the users with their month's use, usage over time, and re-enabling one account.
struct AdminDashboardRoute: Sendable {
    let gateway: Gateway

    /// `GET /admin/overview`: requests, tokens and errors today (UTC) and this quota month,
    /// requests in flight now, and whether the state store answers.
    func overview(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let now = self.gateway.now()
        let storeUp = await self.gateway.store.isReachable()
        var json = JSONWriter()
        json.append(#"{"in_flight":"#)
        json.appendInt(self.gateway.metrics.requestsInFlight)
        json.append(#","store":"#)
        json.appendString(storeUp ? "up" : "down")
        if storeUp {
            let today = try await self.gateway.store.usageSummary(since: (now / 86_400).rounded(.down) * 86_400)
            let month = try await self.gateway.store.usageSummary(since: self.gateway.quotaCalendar.period(at: now).startsAt)
            for (name, summary) in [("today", today), ("month", month)] {
                json.append(",")
                json.appendString(name)
                json.append(":")
                Self.append(summary, to: &json, withStart: false)
            }
        }
        json.append("}")
        return Self.json(json)
    }

    /// `GET /admin/users`: every configured user with their tier, limits and this month's use.
    func users(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        var json = JSONWriter()
        json.append(#"{"object":"list","data":["#)
        try? await self.gateway.quota.synchronize(subjects: self.gateway.config.auth.users.map { "user:" + $0.username })
        for (index, user) in self.gateway.config.auth.users.enumerated() {
            let tier = self.gateway.config.quota.tiers[user.tier] ?? QuotaTier()
            let (used, period) = self.gateway.quota.usage(of: "user:" + user.username)
            if index > 0 { json.append(",") }
            json.append(#"{"username":"#)
            json.appendString(user.username)
            json.append(#","tier":"#)
            json.appendString(user.tier)
            json.append(#","disabled":"#)
            json.append(user.disabled ? "true" : "false")
            json.append(#","period":"#)
            json.appendString(period.key)
            json.append(#","requests":"#)
            json.appendInt(used.requests)
            json.append(#","tokens":"#)
            json.appendInt(used.tokens)
            json.append(#","spent_usd":"#)
            json.append(Microdollars.dollars(used.microdollars))
            json.append(#","monthly_requests":"#)
            json.appendInt(tier.monthlyRequests)
            json.append(#","monthly_tokens":"#)
            json.appendInt(tier.monthlyTokens)
            json.append(#","monthly_usd":"#)
            json.append(Microdollars.dollars(tier.quotaLimits.monthlyMicrodollars))
            json.append("}")
        }
        json.append("]}")
        return Self.json(json)
    }

    /// `GET /admin/usage/series?bucket=hour|day&user=&key=&model=`: requests, tokens and errors per
    /// hour over the last 24 hours, or per day (UTC) since the start of the quota month.
    func series(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        do {
            let query = request.uri.queryParameters
            let now = self.gateway.now()
            let (bucketSeconds, since): (Int, Double)
            switch query["bucket"].map(String.init) ?? "hour" {
            case "hour": (bucketSeconds, since) = (3600, ((now / 3600).rounded(.down) - 23) * 3600)
            case "day":
                let monthStart = self.gateway.quotaCalendar.period(at: now).startsAt
                (bucketSeconds, since) = (86_400, (monthStart / 86_400).rounded(.down) * 86_400)
            default: throw GatewayError.badRequest("'bucket' must be 'hour' or 'day'.")
            }
            var filter = UsageFilter()
            filter.user = query["user"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
            filter.keyID = query["key"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
            filter.model = query["model"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
            let buckets = try await self.gateway.store.usageSeries(bucketSeconds: bucketSeconds, since: since, filter: filter)
            var json = JSONWriter()
            json.append(#"{"bucket_seconds":"#)
            json.appendInt(bucketSeconds)
            json.append(#","since":"#)
            json.appendInt(Int(since))
            json.append(#","until":"#)
            json.appendInt(Int(now))
            json.append(#","data":["#)
            for (index, bucket) in buckets.enumerated() {
                if index > 0 { json.append(",") }
                Self.append(bucket, to: &json, withStart: true)
            }
            json.append("]}")
            return Self.json(json)
        } catch let error as GatewayError {
            return .error(error, format: .openAI)
        }
    }

    /// `GET /admin/spend`: this quota month's requests, tokens and dollars per user, per key and
    /// per model (the largest spenders first, 50 of each), with the requests of unpriced models.
    func spend(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let since = self.gateway.quotaCalendar.period(at: self.gateway.now()).startsAt
        let shares = try await self.gateway.store.usageShares(since: since, limit: 50)
        var json = JSONWriter()
        json.append(#"{"since":"#)
        json.appendInt(Int(since))
        for dimension in [UsageShare.Dimension.user, .key, .model] {
            json.append(",")
            json.appendString(dimension.rawValue + "s")
            json.append(":[")
            for (index, share) in shares.filter({ $0.dimension == dimension }).enumerated() {
                if index > 0 { json.append(",") }
                json.append(#"{"name":"#)
                json.appendString(share.name)
                json.append(#","requests":"#)
                json.appendInt(share.requests)
                json.append(#","tokens":"#)
                json.appendInt(share.tokens)
                json.append(#","cost_usd":"#)
                json.append(Microdollars.dollars(share.costMicrodollars))
                json.append(#","unpriced_requests":"#)
                json.appendInt(share.unpricedRequests)
                json.append("}")
            }
            json.append("]")
        }
        json.append("}")
        return Self.json(json)
    }

    /// `POST /admin/accounts/{provider}/{account}/enable`: puts one account back in rotation (its
    /// key was fixed, its cooldown is known to be over) without probing it.
    func enableAccount(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let providerName = context.parameters.get("provider") ?? ""
        let accountName = context.parameters.get("account") ?? ""
        guard let pool = self.gateway.providers.first(where: { $0.name == providerName })?.pool,
            let accountIndex = pool.names.firstIndex(of: accountName)
        else {
            return .error(.notFound("No account '\(accountName)' on a provider '\(providerName)'."), format: .openAI)
        }
        pool.enable(accountIndex)
        self.gateway.metrics.setAccountHealthy(provider: providerName, account: accountName, healthy: true)
        var json = JSONWriter()
        json.append(#"{"provider":"#)
        json.appendString(providerName)
        json.append(#","account":"#)
        json.appendString(accountName)
        json.append(#","enabled":true}"#)
        return Self.json(json)
    }

    /// `{"start":...,"requests":...,"tokens":...,"errors":...}` (`start` only for a series bucket).
    private static func append(_ bucket: UsageBucket, to json: inout JSONWriter, withStart: Bool) {
        if withStart {
            json.append(#"{"start":"#)
            json.appendInt(bucket.start)
            json.append(#","requests":"#)
        } else {
            json.append(#"{"requests":"#)
        }
        json.appendInt(bucket.requests)
        json.append(#","tokens":"#)
        json.appendInt(bucket.tokens)
        json.append(#","errors":"#)
        json.appendInt(bucket.errors)
        json.append(#","cost_usd":"#)
        json.append(Microdollars.dollars(bucket.costMicrodollars))
        json.append("}")
    }

    private static func json(_ json: JSONWriter) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"], body: .init(byteBuffer: json.buffer))
    }
}
