import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ProxyEngine

/// `GET /admin/usage?user=&key=&model=&since=&until=&limit=`: the newest matching usage records
/// and totals over every match (`since`/`until` in unix seconds). Records reach the store in
/// batches, so the newest few seconds may not be in it yet.
struct AdminUsageRoute: Sendable {
    let gateway: Gateway

    func handle(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        do {
            let query = request.uri.queryParameters
            var filter = UsageFilter()
            filter.user = query["user"].map(String.init)
            filter.keyID = query["key"].map(String.init)
            filter.model = query["model"].map(String.init)
            filter.since = try query["since"].map { try Self.unixTime($0, "since") }
            filter.until = try query["until"].map { try Self.unixTime($0, "until") }
            if let limit = query["limit"] {
                guard let count = Int(limit), (1...Self.maximumLimit).contains(count) else {
                    throw GatewayError.badRequest("'limit' must be a whole number from 1 to \(Self.maximumLimit).")
                }
                filter.limit = count
            }
            let (records, totals) = try await self.gateway.store.usage(filter)
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: UsageReport.json(records: records, totals: totals)))
        } catch let error as GatewayError {
            return .error(error, format: .openAI)
        }
    }

    static let maximumLimit = 10_000

    /// Unix seconds: finite and within the years a usage record can have (up to 5138).
    private static func unixTime(_ value: Substring, _ name: String) throws(GatewayError) -> Double {
        guard let number = Double(value), number.isFinite, number >= 0, number <= 1e11 else {
            throw .badRequest("'\(name)' must be a unix time in seconds.")
        }
        return number
    }
}

/// The usage report's JSON, shared by `/admin/usage` and `proxy-server usage --json`.
enum UsageReport {
    static func json(records: [UsageRecord], totals: UsageTotals) -> ByteBuffer {
        var json = JSONWriter(capacity: 128 + records.count * 256)
        json.append(#"{"totals":{"requests":"#)
        json.appendInt(totals.requests)
        json.append(#","prompt_tokens":"#)
        json.appendInt(totals.promptTokens)
        json.append(#","completion_tokens":"#)
        json.appendInt(totals.completionTokens)
        json.append(#","cache_read_tokens":"#)
        json.appendInt(totals.cacheReadTokens)
        json.append(#","cache_write_tokens":"#)
        json.appendInt(totals.cacheWriteTokens)
        json.append(#","reasoning_tokens":"#)
        json.appendInt(totals.reasoningTokens)
        json.append(#","estimated_requests":"#)
        json.appendInt(totals.estimatedRequests)
        json.append(#","cost_usd":"#)
        json.append(Microdollars.dollars(totals.costMicrodollars))
        json.append(#","cost_microdollars":"#)
        json.appendInt(totals.costMicrodollars)
        json.append(#"},"data":["#)
        for (index, record) in records.enumerated() {
            if index > 0 { json.append(",") }
            json.append(#"{"at":"#)
            json.append(String(record.at))
            json.append(#","user":"#)
            json.appendString(record.user)
            json.append(#","key_id":"#)
            if let key = record.keyID { json.appendString(key) } else { json.append("null") }
            json.append(#","model":"#)
            json.appendString(record.model)
            json.append(#","provider":"#)
            json.appendString(record.provider)
            json.append(#","account":"#)
            json.appendString(record.account)
            json.append(#","prompt_tokens":"#)
            json.appendInt(record.promptTokens)
            json.append(#","completion_tokens":"#)
            json.appendInt(record.completionTokens)
            json.append(#","cache_read_tokens":"#)
            json.appendInt(record.cacheReadTokens)
            json.append(#","cache_write_tokens":"#)
            json.appendInt(record.cacheWriteTokens)
            json.append(#","reasoning_tokens":"#)
            json.appendInt(record.reasoningTokens)
            json.append(#","estimated":"#)
            json.append(record.estimated ? "true" : "false")
            json.append(#","status":"#)
            json.appendInt(record.status)
            json.append(#","latency_ms":"#)
            json.append(String(format: "%.3f", record.latencyMilliseconds))
            json.append(#","ttfb_ms":"#)
            json.append(record.timeToFirstByteMilliseconds.map { String(format: "%.3f", $0) } ?? "null")
            json.append(#","door":"#)
            json.appendString(record.door)
            json.append(#","cost_usd":"#)
            json.append(Microdollars.dollars(record.costMicrodollars))
            json.append(#","cost_microdollars":"#)
            json.appendInt(record.costMicrodollars)
            json.append(#","priced":"#)
            json.append(record.priced ? "true" : "false")
            json.append("}")
        }
        json.append("]}")
        return json.buffer
    }
}
