import AsyncHTTPClient
import Logging
import NIOCore
import NIOHTTP1
import ProxyEngine

/// An Anthropic Messages provider (`api.anthropic.com`, or a compatible server): keys go in
/// `x-api-key`; the client's `anthropic-version` and `anthropic-beta` pass through.
final class AnthropicUpstream: UpstreamProvider {
    /// Sent when the client named none (an OpenAI client on this provider).
    static let defaultVersion = "2023-06-01"

    let name: String
    /// The API root, e.g. `https://api.anthropic.com/v1`.
    let apiRoot: String
    let accounts: [AccountConfig]
    let http: UpstreamHTTPClient
    let wireFormat: APIFormat? = .anthropic

    init(config: ProviderConfig, http: UpstreamHTTPClient) {
        self.name = config.name
        self.apiRoot = APIRoot.of(baseURL: config.baseURL)
        self.accounts = config.accounts
        self.http = http
    }

    var secrets: [String] { self.accounts.map(\.apiKey).filter { !$0.isEmpty } }

    func send(_ call: UpstreamCall, logger: Logger) async throws -> HTTPClientResponse {
        guard let account = call.account ?? self.accounts.first else { throw GatewayError.noHealthyAccount("The provider has no account.") }
        var request = HTTPClientRequest(url: self.apiRoot + call.path)
        request.method = .POST
        request.headers = call.headers
        request.headers.replaceOrAdd(name: "x-api-key", value: account.apiKey)
        if !request.headers.contains(name: "anthropic-version") {
            request.headers.add(name: "anthropic-version", value: Self.defaultVersion)
        }
        request.headers.replaceOrAdd(name: "content-type", value: "application/json")
        request.body = .bytes(call.body)
        return try await self.http.client.execute(request, deadline: call.deadline, logger: logger)
    }
}
