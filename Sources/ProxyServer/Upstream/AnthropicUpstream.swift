import AsyncHTTPClient
import Logging
import NIOCore
import NIOHTTP1
import ProxyEngine

/// An Anthropic Messages provider (`api.anthropic.com`, or a compatible server): keys go in
/// `x-api-key`; the client's `anthropic-version` and `anthropic-beta` pass through. OAuth
/// (subscription) accounts send their access token as a bearer token, with the system prompt
/// and beta flag such accounts require, and get one fresh token and one retry on a 401.
final class AnthropicUpstream: UpstreamProvider {
    /// Sent when the client named none (an OpenAI client on this provider).
    static let defaultVersion = "2023-06-01"

    let name: String
    /// The API root, e.g. `https://api.anthropic.com/v1`.
    let apiRoot: String
    let accounts: [AccountConfig]
    let http: UpstreamHTTPClient
    let wireFormat: APIFormat? = .anthropic
    /// Set when the provider has OAuth accounts.
    let oauth: OAuthManager?

    init(config: ProviderConfig, http: UpstreamHTTPClient, oauth: OAuthManager?) {
        self.name = config.name
        self.apiRoot = APIRoot.of(baseURL: config.baseURL)
        self.accounts = config.accounts
        self.http = http
        self.oauth = oauth
    }

    var secrets: [String] { self.accounts.map(\.apiKey).filter { !$0.isEmpty } }

    func probe(_ account: AccountConfig, deadline: NIODeadline, logger: Logger) async -> Bool {
        var request = HTTPClientRequest(url: self.apiRoot + "/models")
        request.headers.add(name: "anthropic-version", value: Self.defaultVersion)
        if account.kind == .oauth {
            guard let token = try? await self.oauth?.accessToken(for: account.name) else { return false }
            request.headers.add(name: "authorization", value: "Bearer \(token)")
            request.headers.add(name: "anthropic-beta", value: OAuthRequestShaping.betaFlag)
        } else {
            request.headers.add(name: "x-api-key", value: account.apiKey)
        }
        let response = try? await self.http.client.execute(request, deadline: deadline, logger: logger)
        return response.map { (200..<300).contains(Int($0.status.code)) } ?? false
    }

    func send(_ call: UpstreamCall, logger: Logger) async throws -> HTTPClientResponse {
        guard let account = call.account ?? self.accounts.first else { throw GatewayError.noHealthyAccount("The provider has no account.") }
        var request = HTTPClientRequest(url: self.apiRoot + call.path)
        request.method = .POST
        request.headers = call.headers
        if !request.headers.contains(name: "anthropic-version") {
            request.headers.add(name: "anthropic-version", value: Self.defaultVersion)
        }
        request.headers.replaceOrAdd(name: "content-type", value: "application/json")
        guard account.kind == .oauth, let oauth = self.oauth else {
            request.headers.replaceOrAdd(name: "x-api-key", value: account.apiKey)
            request.body = .bytes(call.body)
            return try await self.http.client.execute(request, deadline: call.deadline, logger: logger)
        }
        let beta = OAuthRequestShaping.betaHeader(adding: request.headers.first(name: "anthropic-beta"))
        request.headers.replaceOrAdd(name: "anthropic-beta", value: beta)
        request.body = .bytes(call.path == "/messages" ? OAuthRequestShaping.addingSystemPrompt(to: call.body) : call.body)
        let token = try await oauth.accessToken(for: account.name)
        request.headers.replaceOrAdd(name: "authorization", value: "Bearer \(token)")
        let response = try await self.http.client.execute(request, deadline: call.deadline, logger: logger)
        guard response.status == .unauthorized else { return response }
        // Revoked or expired early: one fresh token, one more try. The refused answer's body is
        // dropped unread, which closes its connection.
        logger.info("OAuth access token refused; refreshing", metadata: ["account": "\(account.name)"])
        let fresh = try await oauth.tokenRejected(token, for: account.name)
        request.headers.replaceOrAdd(name: "authorization", value: "Bearer \(fresh)")
        return try await self.http.client.execute(request, deadline: call.deadline, logger: logger)
    }
}
