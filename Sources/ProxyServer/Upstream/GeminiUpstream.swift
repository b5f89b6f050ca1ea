import Logging
import NIOCore
import NIOHTTP1
import ProxyEngine
import UpstreamTransport

/// A Gemini provider (Google's Generative Language API, `.../v1beta`, or a compatible server):
/// keys go in `x-goog-api-key`, never in the query string, so that no URL the transport or a log
/// sees holds one. The model and the method are in the path (`GeminiPath`).
final class GeminiUpstream: UpstreamProvider {
    static let defaultBaseURL = "https://generativelanguage.googleapis.com/v1beta"

    let name: String
    let accounts: [AccountConfig]
    /// The API root's host; its path (`/v1beta`) prefixes every call.
    let host: UpstreamHost
    let wireFormat: APIFormat? = .gemini

    init(config: ProviderConfig, host: UpstreamHost) {
        self.name = config.name
        self.accounts = config.accounts
        self.host = host
    }

    var secrets: [String] { self.accounts.map(\.apiKey).filter { !$0.isEmpty } }

    func probe(_ account: AccountConfig, deadline: NIODeadline, logger: Logger) async -> Bool {
        let headers = HTTPHeaders([("x-goog-api-key", account.apiKey)])
        return await self.host.succeeds(path: self.host.endpoint.basePath + "/models", headers: headers, deadline: deadline)
    }

    func send(_ call: UpstreamCall, logger: Logger) async throws -> UpstreamResponse {
        guard let account = call.account ?? self.accounts.first else { throw GatewayError.noHealthyAccount("The provider has no account.") }
        var headers = call.headers
        headers.remove(name: "authorization")
        headers.replaceOrAdd(name: "x-goog-api-key", value: account.apiKey)
        headers.replaceOrAdd(name: "content-type", value: "application/json")
        return try await self.host.execute(
            path: self.host.endpoint.basePath + call.path, headers: headers, body: call.body, on: call.eventLoop,
            silenceTick: call.silenceTick)
    }
}
