import AsyncHTTPClient
import NIOCore
import NIOPosix
import ProxyEngine
import ServiceLifecycle
import Synchronization

/// Every pooled upstream client the gateway has made, one per provider and transport setting,
/// as one `Service`: a reload that keeps a provider's URL and timeouts keeps its client (and its
/// warm connections); one that changes them gets a new client. All are shut down after the HTTP
/// server has drained (services stop in reverse order).
final class UpstreamClients: Service, Sendable {
    private struct Key: Hashable {
        var provider: String
        var baseURL: String
        var connectTimeoutSeconds: Double
        var timeoutSeconds: Double
    }

    private let eventLoopGroup: any EventLoopGroup
    private let clients = Mutex<[Key: UpstreamHTTPClient]>([:])

    init(eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.eventLoopGroup = eventLoopGroup
    }

    func client(for provider: ProviderConfig) -> UpstreamHTTPClient {
        let key = Key(
            provider: provider.name, baseURL: provider.baseURL, connectTimeoutSeconds: provider.connectTimeoutSeconds,
            timeoutSeconds: provider.timeoutSeconds)
        return self.clients.withLock { clients in
            if let existing = clients[key] { return existing }
            let client = UpstreamHTTPClient(provider: provider, eventLoopGroup: self.eventLoopGroup)
            clients[key] = client
            return client
        }
    }

    func run() async throws {
        try? await gracefulShutdown()
        for client in self.clients.withLock({ Array($0.values) }) {
            try await client.client.shutdown()
        }
    }
}
