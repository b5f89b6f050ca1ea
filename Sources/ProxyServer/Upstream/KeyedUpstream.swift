import Logging
import NIOCore
import NIOHTTP1
import ProxyEngine
import UpstreamTransport

/// A provider reached with an API key in a header: an OpenAI-compatible server (OpenAI, DeepSeek,
/// GLM, Ollama, vLLM, Gemini's OpenAI endpoint) with `authorization: Bearer`, or Google's
/// Generative Language API with `x-goog-api-key`. Gemini's key never goes in the query string,
/// so that no URL the transport or a log sees holds one; its model and method are in the path
/// (`GeminiPath`).
final class KeyedUpstream: UpstreamProvider {
    let name: String
    let accounts: [AccountConfig]
    /// The API root's host; its path (`/v1`, `/v1beta`) prefixes every call.
    let host: UpstreamHost
    let wireFormat: APIFormat?

    /// `format`: `.openAI` or `.gemini`, which says where the key goes.
    init(config: ProviderConfig, host: UpstreamHost, format: APIFormat) {
        self.name = config.name
        self.accounts = config.accounts
        self.host = host
        self.wireFormat = format
    }

    var secrets: [String] { self.accounts.map(\.apiKey).filter { !$0.isEmpty } }

    func probe(_ account: AccountConfig, deadline: NIODeadline, logger: Logger) async -> Bool {
        var headers = HTTPHeaders()
        self.addKey(of: account, to: &headers)
        return await self.host.succeeds(path: self.host.endpoint.basePath + "/models", headers: headers, deadline: deadline)
    }

    func send(_ call: UpstreamCall, logger: Logger) async throws -> UpstreamResponse {
        guard let account = call.account ?? self.accounts.first else { throw GatewayError.noHealthyAccount("The provider has no account.") }
        var headers = call.headers
        self.addKey(of: account, to: &headers)
        headers.replaceOrAdd(name: "content-type", value: "application/json")
        return try await self.host.execute(
            path: self.host.endpoint.basePath + call.path, headers: headers, body: call.body, on: call.eventLoop,
            silenceTick: call.silenceTick)
    }

    private func addKey(of account: AccountConfig, to headers: inout HTTPHeaders) {
        if self.wireFormat == .gemini {
            headers.remove(name: "authorization")
            headers.replaceOrAdd(name: "x-goog-api-key", value: account.apiKey)
        } else {
            headers.replaceOrAdd(name: "authorization", value: "Bearer \(account.apiKey)")
        }
    }
}
