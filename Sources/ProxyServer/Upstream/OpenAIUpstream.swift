import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ProxyEngine

/// An OpenAI-compatible provider (OpenAI, DeepSeek, GLM, Ollama, vLLM, Gemini's OpenAI endpoint).
final class OpenAIUpstream: UpstreamProvider {
    let name: String
    /// The API root, e.g. `https://api.deepseek.com/v1`, without a trailing slash.
    let apiRoot: String
    let accounts: [AccountConfig]
    let http: UpstreamHTTPClient
    let wireFormat: APIFormat? = .openAI

    init(config: ProviderConfig, http: UpstreamHTTPClient) {
        self.name = config.name
        self.apiRoot = APIRoot.of(baseURL: config.baseURL)
        self.accounts = config.accounts
        self.http = http
    }

    var secrets: [String] { self.accounts.map(\.apiKey).filter { !$0.isEmpty } }

    func probe(_ account: AccountConfig, deadline: NIODeadline, logger: Logger) async -> Bool {
        var request = HTTPClientRequest(url: self.apiRoot + "/models")
        request.headers.add(name: "authorization", value: "Bearer \(account.apiKey)")
        let response = try? await self.http.client.execute(request, deadline: deadline, logger: logger)
        return response.map { (200..<300).contains(Int($0.status.code)) } ?? false
    }

    func send(_ call: UpstreamCall, logger: Logger) async throws -> HTTPClientResponse {
        guard let account = call.account ?? self.accounts.first else { throw GatewayError.noHealthyAccount("The provider has no account.") }
        var request = HTTPClientRequest(url: self.apiRoot + call.path)
        request.method = .POST
        request.headers = call.headers
        request.headers.replaceOrAdd(name: "authorization", value: "Bearer \(account.apiKey)")
        request.headers.replaceOrAdd(name: "content-type", value: "application/json")
        request.body = .bytes(call.body)
        return try await self.http.client.execute(request, deadline: call.deadline, logger: logger)
    }
}
