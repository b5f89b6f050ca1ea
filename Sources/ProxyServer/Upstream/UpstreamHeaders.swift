import HTTPTypes
import Hummingbird
import NIOHTTP1
import ProxyEngine

/// Header conversion across the gateway (Hummingbird's `HTTPFields` ↔ NIOHTTP1's
/// `HTTPHeaders`), applying `HeaderPolicy`'s allowlists both ways.
enum UpstreamHeaders {
    static func forwarded(from fields: HTTPFields, extra: [ModelGlob] = []) -> HTTPHeaders {
        var headers = HTTPHeaders()
        for field in fields where HeaderPolicy.forwardsRequestHeader(field.name.canonicalName, extra: extra) {
            headers.add(name: field.name.canonicalName, value: field.value)
        }
        return headers
    }

    static func relayed(from headers: HTTPHeaders, status: Int, exposesRateLimits: Bool, into fields: inout HTTPFields) {
        for (name, value) in headers {
            let lowercased = name.lowercased()
            guard HeaderPolicy.forwardsResponseHeader(lowercased, status: status, exposesRateLimits: exposesRateLimits),
                let fieldName = HTTPField.Name(lowercased)
            else { continue }
            fields.append(HTTPField(name: fieldName, value: value))
        }
    }
}
