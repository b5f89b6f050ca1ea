import NIOCore
import NIOPosix
import ProxyEngine
import ServiceLifecycle
import Synchronization
import UpstreamTransport

/// Every upstream transport the gateway has made, one per provider and transport setting, as
/// one `Service`: a reload that keeps a provider's URL and connect timeout keeps its transport
/// (and its warm connections); one that changes them gets a new one. All are shut down after the
/// HTTP server has drained (services stop in reverse order).
final class UpstreamClients: Service, Sendable {
    private struct Key: Hashable {
        var provider: String
        var baseURL: String
        var connectTimeoutSeconds: Double
    }

    private let eventLoopGroup: any EventLoopGroup
    private let transports = Mutex<[Key: UpstreamTransport]>([:])

    init(eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.eventLoopGroup = eventLoopGroup
    }

    /// The client for `provider`'s API root.
    func host(for provider: ProviderConfig) throws(ConfigError) -> UpstreamHost {
        let key = Key(provider: provider.name, baseURL: provider.baseURL, connectTimeoutSeconds: provider.connectTimeoutSeconds)
        let transport = self.transports.withLock { transports in
            if let existing = transports[key] { return existing }
            var configuration = UpstreamTransport.Configuration()
            configuration.connectTimeout = .nanoseconds(Int64(provider.connectTimeoutSeconds * 1e9))
            let transport = UpstreamTransport(configuration: configuration, eventLoopGroup: self.eventLoopGroup)
            transports[key] = transport
            return transport
        }
        guard let endpoint = UpstreamEndpoint(url: APIRoot.of(baseURL: provider.baseURL)) else {
            throw ConfigError(key: "providers.\(provider.name).base_url", "must be an http:// or https:// URL")
        }
        do {
            return try transport.host(endpoint)
        } catch {
            throw ConfigError(key: "providers.\(provider.name).base_url", "cannot set up TLS: \(error)")
        }
    }

    func run() async throws {
        try? await gracefulShutdown()
        for transport in self.transports.withLock({ Array($0.values) }) { transport.shutdown() }
    }
}
