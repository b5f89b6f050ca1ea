/// Which headers cross the gateway, in each direction.
///
/// Hop-by-hop headers (RFC 9110 §7.6.1) belong to one connection and are never forwarded.
/// Client credentials never go upstream: the gateway injects the provider's own key. Framing
/// headers are dropped because the gateway re-frames every body it sends.
public enum HeaderPolicy {
    /// Lowercased names that belong to a single connection.
    public static let hopByHop: Set<String> = [
        "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
        "te", "trailer", "trailers", "transfer-encoding", "upgrade",
    ]

    static let requestDropped: Set<String> = [
        "authorization", "x-api-key", "cookie", "host", "content-length", "accept-encoding",
        "x-request-id", "forwarded", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-real-ip",
    ]

    static let responseDropped: Set<String> = [
        "content-length", "content-encoding", "set-cookie", "date", "server", "x-request-id",
    ]

    /// Whether a client request header should be sent upstream. `connectionTokens` are the
    /// lowercased names the request's own `Connection` header listed, which are hop-by-hop too.
    public static func forwardsRequestHeader(_ lowercasedName: String, connectionTokens: Set<String> = []) -> Bool {
        !self.hopByHop.contains(lowercasedName) && !self.requestDropped.contains(lowercasedName)
            && !connectionTokens.contains(lowercasedName)
    }

    /// Whether an upstream response header should be relayed to the client.
    public static func forwardsResponseHeader(_ lowercasedName: String, connectionTokens: Set<String> = []) -> Bool {
        !self.hopByHop.contains(lowercasedName) && !self.responseDropped.contains(lowercasedName)
            && !connectionTokens.contains(lowercasedName)
    }

    /// The names listed in a `Connection` header value, lowercased.
    public static func connectionTokens(_ connectionHeaderValues: [String]) -> Set<String> {
        var tokens: Set<String> = []
        for value in connectionHeaderValues {
            for token in value.split(separator: ",") {
                let name = token.trimmingSpaces().lowercased()
                if !name.isEmpty { tokens.insert(name) }
            }
        }
        return tokens
    }
}

extension StringProtocol {
    func trimmingSpaces() -> Substring {
        var slice = Substring(self)
        while let first = slice.first, first == " " || first == "\t" { slice.removeFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice.removeLast() }
        return slice
    }
}
