import FoundationEssentials

/// Where a pool connects: scheme, host and port of an upstream, parsed once from a URL.
public struct UpstreamEndpoint: Hashable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var usesTLS: Bool
    /// The path the URL named, without a trailing slash (`/v1`), prefixed to every request path.
    public var basePath: String

    public init(host: String, port: Int, usesTLS: Bool, basePath: String = "") {
        self.host = host
        self.port = port
        self.usesTLS = usesTLS
        self.basePath = basePath
    }

    /// `nil` unless `url` is an absolute `http` or `https` URL with a host.
    public init?(url: String) {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty
        else { return nil }
        self.usesTLS = scheme == "https"
        // An IPv6 literal comes back in brackets; sockets and certificates want it bare.
        self.host = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        self.port = components.port ?? (self.usesTLS ? 443 : 80)
        var path = components.percentEncodedPath
        while path.hasSuffix("/") { path.removeLast() }
        self.basePath = path
    }

    /// The `Host` header: the port only when it is not the scheme's own.
    public var hostHeader: String {
        let host = self.host.contains(":") ? "[\(self.host)]" : self.host
        let isDefaultPort = self.port == (self.usesTLS ? 443 : 80)
        return isDefaultPort ? host : "\(host):\(self.port)"
    }

    /// The name sent as TLS SNI and checked against the certificate; an IP literal cannot be
    /// sent as SNI (RFC 6066), and is checked against the certificate's IP entries instead.
    var serverNameIndication: String? {
        let isIPv4 = self.host.split(separator: ".").count == 4 && self.host.allSatisfy { $0.isNumber || $0 == "." }
        return isIPv4 || self.host.contains(":") ? nil : self.host
    }

    public var description: String { "\(self.usesTLS ? "https" : "http")://\(self.hostHeader)" }
}
