import AsyncHTTPClient
import Foundation
import MockUpstream
import NIOCore
import NIOHTTP1
import ProxyEngine
import Testing

@testable import ProxyServer

/// `server.cors_origins`: web apps calling the gateway directly with a virtual key.
@Suite(.timeLimit(.minutes(5))) struct CORSLiveTests {
    static let app = "https://app.example.com"

    func preflight(_ harness: LiveHarness, origin: String, path: String = "/v1/chat/completions") async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: harness.baseURL + path)
        request.method = .OPTIONS
        request.headers.add(name: "origin", value: origin)
        request.headers.add(name: "access-control-request-method", value: "POST")
        request.headers.add(name: "access-control-request-headers", value: "authorization, content-type, x-stainless-os")
        return try await harness.client.execute(request, timeout: .seconds(10))
    }

    @Test func aPreflightFromAnAllowedOriginIsAnswered() async throws {
        try await LiveHarness.run(configure: { $0.server.corsOrigins = [Self.app] }) { (harness) async throws in
            let response = try await self.preflight(harness, origin: Self.app)
            #expect(response.status == .noContent)
            #expect(response.headers.first(name: "access-control-allow-origin") == Self.app)
            let methods = response.headers.first(name: "access-control-allow-methods") ?? ""
            #expect(methods.contains("POST") && methods.contains("GET"))
            let allowed = (response.headers.first(name: "access-control-allow-headers") ?? "").lowercased()
            for header in ["authorization", "content-type", "x-api-key", "anthropic-version", "anthropic-beta", "x-stainless-os"] {
                #expect(allowed.contains(header), "\(header)")
            }
            #expect(response.headers.first(name: "access-control-allow-credentials") == nil)
            #expect(response.headers[canonicalForm: "vary"].contains { $0.lowercased() == "origin" })
        }
    }

    @Test func wholeAnswersStreamsAndErrorsCarryTheHeaders() async throws {
        try await LiveHarness.run(configure: { $0.server.corsOrigins = [Self.app] }) { (harness) async throws in
            let origin = [("origin", Self.app)]
            let whole = try await harness.send(harness.chatRequest(LiveHarness.body(), headers: origin))
            let stream = try await harness.send(harness.chatRequest(LiveHarness.body(stream: true), headers: origin))
            let error = try await harness.send(harness.chatRequest(LiveHarness.body(model: "no-such-model"), headers: origin))
            let unauthorized = try await harness.send(
                harness.chatRequest(LiveHarness.body(), headers: origin + [("authorization", "Bearer sk-wrong")]))
            #expect(whole.status == 200 && stream.status == 200 && error.status == 404 && unauthorized.status == 401)
            #expect(try OpenAIStreamTranscript(stream.body).sawDone)
            for answer in [whole, stream, error, unauthorized] {
                #expect(answer.headers.first(name: "access-control-allow-origin") == Self.app)
                #expect(answer.headers[canonicalForm: "vary"].contains { $0.lowercased() == "origin" })
                #expect(answer.headers.first(name: "access-control-expose-headers")?.contains("x-request-id") == true)
            }
        }
    }

    @Test func anOriginNotInTheListGetsNoCORSHeaders() async throws {
        try await LiveHarness.run(configure: { $0.server.corsOrigins = [Self.app] }) { (harness) async throws in
            let preflight = try await self.preflight(harness, origin: "https://evil.example.com")
            #expect(preflight.headers.first(name: "access-control-allow-origin") == nil)
            let answer = try await harness.send(harness.chatRequest(LiveHarness.body(), headers: [("origin", "https://evil.example.com")]))
            #expect(answer.status == 200)
            #expect(answer.headers.first(name: "access-control-allow-origin") == nil)
        }
    }

    @Test func withNoOriginsConfiguredThereIsNoCORS() async throws {
        try await LiveHarness.run { (harness) async throws in
            let answer = try await harness.send(harness.chatRequest(LiveHarness.body(), headers: [("origin", Self.app)]))
            #expect(answer.headers.first(name: "access-control-allow-origin") == nil)
        }
    }

    @Test func aStarAllowsAnyOriginWithoutCredentials() async throws {
        try await LiveHarness.run(configure: { $0.server.corsOrigins = ["*"] }) { (harness) async throws in
            let preflight = try await self.preflight(harness, origin: "https://anyone.example.org")
            #expect(preflight.status == .noContent)
            #expect(preflight.headers.first(name: "access-control-allow-origin") == "*")
            #expect(preflight.headers.first(name: "access-control-allow-credentials") == nil)
            let answer = try await harness.send(
                harness.chatRequest(LiveHarness.body(), headers: [("origin", "https://anyone.example.org")]))
            #expect(answer.headers.first(name: "access-control-allow-origin") == "*")
        }
    }
}
