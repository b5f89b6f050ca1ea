import ProxyEngine

/// One configured provider and everything a request to it needs, made once per configuration:
/// what `ModelRouter` routes a model to.
final class ProviderRuntime: Sendable {
    let config: ProviderConfig
    /// Speaks to the provider: over the gateway's upstream transport, or the in-process mock.
    let upstream: any UpstreamProvider
    /// Its accounts' health and selection; nil for a provider without accounts (the mock).
    let pool: AccountPool?
    let pacer: UpstreamPacer
    /// Keeps its keys out of anything relayed to a client.
    let scrubber: SecretScrubber
    /// Its `forward_headers`, lowercased and compiled once.
    let forwardedHeaders: [ModelGlob]
    /// The gateway's clock, in unix seconds: what a request to this provider reads the time from.
    let now: @Sendable () -> Double

    var name: String { self.config.name }

    init(
        config: ProviderConfig, upstream: any UpstreamProvider, pool: AccountPool?, pacer: UpstreamPacer, oauth: OAuthManager? = nil,
        now: @escaping @Sendable () -> Double
    ) {
        self.now = now
        self.config = config
        self.upstream = upstream
        self.pool = pool
        self.pacer = pacer
        self.scrubber = SecretScrubber(secrets: upstream.secrets, also: oauth?.secrets)
        self.forwardedHeaders = config.forwardHeaders.map { ModelGlob($0.lowercased()) }
    }
}
