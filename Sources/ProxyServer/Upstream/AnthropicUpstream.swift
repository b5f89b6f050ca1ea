import Logging
import NIOCore
import NIOHTTP1
import ProxyEngine
import UpstreamTransport

/// An Anthropic Messages provider (`api.anthropic.com`, or a compatible server): keys go in
/// `x-api-key`; the client's `anthropic-version` and `anthropic-beta` pass through. OAuth
/// (subscription) accounts send their access token as a bearer token, with the system prompt
/// and beta flag such accounts require, and get one fresh token and one retry on a 401.
final class AnthropicUpstream: UpstreamProvider {
    /// Sent when the client named none (an OpenAI client on this provider).
    static let defaultVersion = "2023-06-01"

    let name: String
    let accounts: [AccountConfig]
    /// The API root's host (`https://api.anthropic.com`); its path (`/v1`) prefixes every call.
    let host: UpstreamHost
    let wireFormat: APIFormat? = .anthropic
    /// Set when the provider has OAuth accounts.
    let oauth: OAuthManager?

    init(config: ProviderConfig, host: UpstreamHost, oauth: OAuthManager?) {
        self.name = config.name
        self.accounts = config.accounts
        self.host = host
        self.oauth = oauth
    }

    var secrets: [String] { self.accounts.map(\.apiKey).filter { !$0.isEmpty } }

    func probe(_ account: AccountConfig, deadline: NIODeadline, logger: Logger) async -> Bool {
        var headers = HTTPHeaders([("anthropic-version", Self.defaultVersion)])
        if account.kind == .oauth {
            guard let token = try? await self.oauth?.accessToken(for: account.name) else { return false }
            headers.add(name: "authorization", value: "Bearer \(token)")
            headers.add(name: "anthropic-beta", value: OAuthRequestShaping.betaFlag)
        } else {
            headers.add(name: "x-api-key", value: account.apiKey)
        }
        return await self.host.succeeds(path: self.host.endpoint.basePath + "/models", headers: headers, deadline: deadline)
    }

    func send(_ call: UpstreamCall, logger: Logger) async throws -> UpstreamResponse {
        guard let account = call.account ?? self.accounts.first else { throw GatewayError.noHealthyAccount("The provider has no account.") }
        let path = self.host.endpoint.basePath + call.path
        var headers = call.headers
        if !headers.contains(name: "anthropic-version") {
            headers.add(name: "anthropic-version", value: Self.defaultVersion)
        }
        headers.replaceOrAdd(name: "content-type", value: "application/json")
        guard account.kind == .oauth, let oauth = self.oauth else {
            headers.replaceOrAdd(name: "x-api-key", value: account.apiKey)
            return try await self.host.execute(
                path: path, headers: headers, body: call.body, on: call.eventLoop, silenceTick: call.silenceTick)
        }
        let beta = OAuthRequestShaping.betaHeader(adding: headers.first(name: "anthropic-beta"))
        headers.replaceOrAdd(name: "anthropic-beta", value: beta)
        let body = call.path == "/messages" ? OAuthRequestShaping.addingSystemPrompt(to: call.body) : call.body
        let token = try await oauth.accessToken(for: account.name)
        headers.replaceOrAdd(name: "authorization", value: "Bearer \(token)")
        let response = try await self.host.execute(
            path: path, headers: headers, body: body, on: call.eventLoop, silenceTick: call.silenceTick)
        guard response.status == .unauthorized else { return response }
        // Revoked or expired early: one fresh token, one more try. The refused answer's body is
        // dropped unread, which closes its connection.
        logger.info("OAuth access token refused; refreshing", metadata: ["account": "\(account.name)"])
        let fresh = try await oauth.tokenRejected(token, for: account.name)
        headers.replaceOrAdd(name: "authorization", value: "Bearer \(fresh)")
        return try await self.host.execute(path: path, headers: headers, body: body, on: call.eventLoop, silenceTick: call.silenceTick)
    }
}
