import Logging
import NIOCore
import NIOHTTP1
import ProxyEngine
import UpstreamTransport

/// An OpenAI-compatible provider (OpenAI, DeepSeek, GLM, Ollama, vLLM, Gemini's OpenAI endpoint).
final class OpenAIUpstream: UpstreamProvider {
    let name: String
    let accounts: [AccountConfig]
    /// The API root's host; its path (`/v1`) prefixes every call.
    let host: UpstreamHost
    let wireFormat: APIFormat? = .openAI

    init(config: ProviderConfig, host: UpstreamHost) {
        self.name = config.name
        self.accounts = config.accounts
        self.host = host
    }

    var secrets: [String] { self.accounts.map(\.apiKey).filter { !$0.isEmpty } }

    func probe(_ account: AccountConfig, deadline: NIODeadline, logger: Logger) async -> Bool {
        let headers = HTTPHeaders([("authorization", "Bearer \(account.apiKey)")])
        return await self.host.succeeds(path: self.host.endpoint.basePath + "/models", headers: headers, deadline: deadline)
    }

    func send(_ call: UpstreamCall, logger: Logger) async throws -> UpstreamResponse {
        guard let account = call.account ?? self.accounts.first else { throw GatewayError.noHealthyAccount("The provider has no account.") }
        var headers = call.headers
        headers.replaceOrAdd(name: "authorization", value: "Bearer \(account.apiKey)")
        headers.replaceOrAdd(name: "content-type", value: "application/json")
        return try await self.host.execute(
            path: self.host.endpoint.basePath + call.path, headers: headers, body: call.body, on: call.eventLoop,
            silenceTick: call.silenceTick)
    }
}
