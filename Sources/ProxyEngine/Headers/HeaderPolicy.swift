/// Which headers cross the gateway, in each direction: allowlists, so that a header nobody
/// thought of stays on its side.
///
/// Towards the upstream only what the APIs define for a request passes: content negotiation,
/// the client's user agent, and the APIs' version and beta flags. Client credentials never go
/// (the gateway injects the provider's own key), nor anything that picks which of the owner's
/// organisations or projects is billed (`openai-organization`, `openai-project`).
///
/// Towards the client only the APIs' version headers pass, `retry-after` on a 429 or 503, and,
/// where a provider opts in with `expose_rate_limit_headers`, its rate-limit headers. The
/// upstream's organisation, request id, cookies and server banner stay behind. The gateway sets
/// `content-type` and its own `x-request-id` itself.
public enum HeaderPolicy {
    static let requestAllowed: Set<String> = [
        "content-type", "accept", "user-agent", "anthropic-version", "anthropic-beta", "openai-beta",
    ]

    /// Never sent upstream, whatever a provider's `forward_headers` says.
    static let neverForwarded: Set<String> = [
        "authorization", "x-api-key", "cookie", "host", "content-length", "accept-encoding", "connection", "keep-alive",
        "proxy-authenticate", "proxy-authorization", "proxy-connection", "te", "trailer", "trailers", "transfer-encoding",
        "upgrade", "openai-organization", "openai-project", "x-goog-api-key",
    ]

    static let responseAllowed: Set<String> = ["openai-version", "anthropic-version"]

    static let rateLimitPrefixes = ["x-ratelimit-", "anthropic-ratelimit-"]

    /// Whether a client request header (lowercased name) is sent upstream; `extra` are the
    /// provider's `forward_headers` patterns.
    public static func forwardsRequestHeader(_ lowercasedName: String, extra: [ModelGlob] = []) -> Bool {
        if self.requestAllowed.contains(lowercasedName) { return true }
        guard !extra.isEmpty, !self.neverForwarded.contains(lowercasedName) else { return false }
        return extra.contains { $0.matches(lowercasedName) }
    }

    /// Whether a `forward_headers` pattern can match only headers that may go upstream.
    public static func isForwardable(pattern: String) -> Bool {
        let glob = ModelGlob(pattern.lowercased())
        return !pattern.isEmpty && pattern != "*" && !self.neverForwarded.contains { glob.matches($0) }
    }

    /// Whether an upstream response header (lowercased name) of an answer with `status` is
    /// relayed to the client.
    public static func forwardsResponseHeader(_ lowercasedName: String, status: Int, exposesRateLimits: Bool) -> Bool {
        if self.responseAllowed.contains(lowercasedName) { return true }
        if lowercasedName == "retry-after" { return status == 429 || status == 503 }
        return exposesRateLimits && self.rateLimitPrefixes.contains { lowercasedName.hasPrefix($0) }
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
