import Logging
import NIOCore
import NIOHTTP1
import ProxyEngine
import UpstreamTransport

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
    /// The client connection's event loop: the upstream connection is taken from the same one.
    var eventLoop: (any EventLoop)?
    /// A streamed answer silent this long gets a silence tick (see `SSEPump`'s keep-alives).
    var silenceTick: TimeAmount?
}

/// Something that answers `UpstreamCall`s: a real provider over HTTP or the in-process mock.
/// The response body is consumed at most once, in the caller's task; dropping it aborts the call.
protocol UpstreamProvider: Sendable {
    var name: String { get }
    /// The format the provider speaks; `nil` for one that speaks whatever it is spoken to.
    var wireFormat: APIFormat? { get }
    /// The provider's accounts, in configuration order (the pool selects among them).
    var accounts: [AccountConfig] { get }
    func send(_ call: UpstreamCall, logger: Logger) async throws -> UpstreamResponse
    /// Strings that must never reach a client or a log line (the provider's keys).
    var secrets: [String] { get }
    /// A cheap authenticated call (`GET /models`) with `account`: whether the account works.
    func probe(_ account: AccountConfig, deadline: NIODeadline, logger: Logger) async -> Bool
}

extension UpstreamHost {
    /// `GET path` with `headers` within `deadline`: whether it answered 2xx. Its body is drained
    /// so that the connection goes back to the pool.
    func succeeds(path: String, headers: HTTPHeaders, deadline: NIODeadline) async -> Bool {
        let operation = { @Sendable () async throws -> Bool in
            let response = try await self.execute(.GET, path: path, headers: headers)
            _ = try await response.body.collect(upTo: 1024 * 1024)
            return (200..<300).contains(Int(response.status.code))
        }
        return (try? await withRequestScope(deadline: deadline, client: nil, on: nil, operation)) ?? false
    }
}
