import AsyncHTTPClient
import Logging
import NIOCore
import NIOHTTP1
import ProxyEngine

/// One request the gateway sends to a provider.
struct UpstreamCall: Sendable {
    /// The path after the provider's API root, e.g. `/chat/completions`.
    var path: String
    var body: ByteBuffer
    /// Client headers that may cross the gateway (see `HeaderPolicy`); the provider adds its key.
    var headers: HTTPHeaders
    var deadline: NIODeadline
    /// The account to send it with (providers that have accounts).
    var account: AccountConfig?
}

/// Something that answers `UpstreamCall`s: a real provider over HTTP or the in-process mock.
/// The response body is consumed at most once, in the caller's task; dropping it aborts the call.
protocol UpstreamProvider: Sendable {
    var name: String { get }
    /// The format the provider speaks; `nil` for one that speaks whatever it is spoken to.
    var wireFormat: APIFormat? { get }
    /// The provider's accounts, in configuration order (the pool selects among them).
    var accounts: [AccountConfig] { get }
    func send(_ call: UpstreamCall, logger: Logger) async throws -> HTTPClientResponse
    /// Strings that must never reach a client or a log line (the provider's keys).
    var secrets: [String] { get }
    /// A cheap authenticated call (`GET /models`) with `account`: whether the account works.
    func probe(_ account: AccountConfig, deadline: NIODeadline, logger: Logger) async -> Bool
}

extension UpstreamProvider {
    /// Sends `call`, once more at once if a pooled keep-alive connection turned out to have been
    /// closed by the upstream before any byte of the answer came back: a race every HTTP/1.1
    /// client meets, not a failure of the upstream.
    func sendRetryingStaleConnection(
        _ call: UpstreamCall,
        logger: Logger,
        onRetry: () -> Void
    ) async throws -> HTTPClientResponse {
        do {
            return try await self.send(call, logger: logger)
        } catch let error as HTTPClientError where error == .remoteConnectionClosed {
            logger.debug("upstream closed a pooled connection; sending again")
            onRetry()
            return try await self.send(call, logger: logger)
        }
    }
}
