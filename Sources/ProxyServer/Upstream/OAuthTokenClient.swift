import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import ProxyEngine

/// A provider's OAuth token endpoint over HTTP: refreshes (for `OAuthManager`) and the
/// authorization-code exchange of `proxy-server oauth callback`. Bodies are JSON, as
/// Anthropic's endpoint takes them.
struct OAuthTokenClient: OAuthTokenEndpoint {
    let settings: OAuthSettings
    let http: HTTPClient
    let now: @Sendable () -> Double

    struct Failed: Error, CustomStringConvertible {
        let status: Int
        var description: String { "the token endpoint answered \(self.status)" }
    }

    func refresh(refreshToken: String) async throws -> OAuthTokens {
        try await self.post([
            "grant_type": "refresh_token", "refresh_token": refreshToken, "client_id": self.settings.clientID,
        ])
    }

    /// Redeems the code the user brought back from the authorize URL made with `pkce`.
    func exchange(code: String, pkce: PKCE) async throws -> OAuthTokens {
        // Claude's callback page shows `CODE#STATE`; the state is checked, then dropped.
        let parts = code.split(separator: "#", maxSplits: 1).map(String.init)
        if parts.count == 2, parts[1] != pkce.state { throw Failed(status: 400) }
        return try await self.post([
            "grant_type": "authorization_code", "code": parts.first ?? code, "state": pkce.state,
            "client_id": self.settings.clientID, "redirect_uri": self.settings.redirectURI, "code_verifier": pkce.verifier,
        ])
    }

    private func post(_ fields: [String: String]) async throws -> OAuthTokens {
        var request = HTTPClientRequest(url: self.settings.tokenURL)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        request.body = .bytes(ByteBuffer(data: try JSONSerialization.data(withJSONObject: fields)))
        let response = try await self.http.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1024 * 1024)
        guard response.status == .ok else { throw Failed(status: Int(response.status.code)) }
        struct Answer: Decodable {
            var access_token: String
            var refresh_token: String?
            var expires_in: Double?
        }
        let answer = try JSONDecoder().decode(Answer.self, from: body)
        return OAuthTokens(
            accessToken: answer.access_token, refreshToken: answer.refresh_token ?? "",
            expiresAt: self.now() + (answer.expires_in ?? 3600))
    }
}
