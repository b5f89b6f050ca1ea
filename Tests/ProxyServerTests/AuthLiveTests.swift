import AsyncHTTPClient
import Foundation
import MockUpstream
import NIOCore
import NIOHTTP1
import ProxyEngine
import TestSupport
import Testing

@testable import ProxyServer

extension LiveHarness {
    func request(_ method: HTTPMethod, _ path: String, json: String? = nil, bearer: String? = nil) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: self.baseURL + path)
        request.method = method
        if let json {
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: json))
        }
        if let bearer { request.headers.add(name: "authorization", value: "Bearer \(bearer)") }
        return request
    }

    func createKey(user: String = "tester", models: [String] = []) async throws -> (id: String, key: String) {
        let models = models.map { "\"\($0)\"" }.joined(separator: ",")
        let response = try await self.send(
            self.request(.POST, "/admin/keys", json: #"{"name":"k","user":"\#(user)","models":[\#(models)]}"#, bearer: LiveHarness.adminKey)
        )
        #expect(response.status == 201)
        let object = try #require(try JSONTestObject.parse(response.body))
        return (try #require(object["id"] as? String), try #require(object["key"] as? String))
    }
}

@Suite(.timeLimit(.minutes(5))) struct ConcurrencyLimitLiveTests {
    static func limitOne(_ config: inout GatewayConfig) {
        config.limits.perTokenConcurrency = 1
        config.providers[0].timeoutSeconds = 600
    }

    @Test func fiftySimultaneousRequestsOnOneCredentialAdmitExactlyOne() async throws {
        try await LiveHarness.run(configure: Self.limitOne) { harness in
            let statuses = try await withThrowingTaskGroup(of: (Int, String?).self, returning: [(Int, String?)].self) { group in
                for _ in 0..<50 {
                    group.addTask {
                        let request = harness.chatRequest(LiveHarness.body(stream: true), headers: [("x-mock-hold", "race")])
                        let response = try await harness.client.execute(request, timeout: .seconds(60))
                        // An admitted stream is read to its end, which comes once the gate opens:
                        // until then it holds its credential's only place.
                        _ = try await response.body.collect(upTo: 1 << 20)
                        return (Int(response.status.code), response.headers.first(name: "retry-after"))
                    }
                }
                var statuses: [(Int, String?)] = []
                for try await status in group {
                    statuses.append(status)
                    // Every refusal is in while the admitted stream is still held. Were two
                    // admitted, the 49th answer would never come and the time limit would fail this.
                    if statuses.count == 49 { harness.mock.gates.open("race") }
                }
                return statuses
            }
            #expect(statuses.filter { $0.0 == 200 }.count == 1)
            #expect(statuses.filter { $0.0 == 429 }.count == 49)
            #expect(statuses.filter { $0.0 == 429 }.allSatisfy { $0.1 == "1" })
            try await eventually("the session's slot is free") { harness.gateway.tokenLimiter.count("jwt:test-session") == 0 }
            let next = try await harness.send(harness.chatRequest(LiveHarness.body()))
            #expect(next.status == 200)
        }
    }

    @Test func fiftyCredentialsWithOneRequestEachAreAllAdmitted() async throws {
        try await LiveHarness.run(configure: Self.limitOne) { harness in
            let statuses = try await withThrowingTaskGroup(of: Int.self, returning: [Int].self) { group in
                for index in 0..<50 {
                    group.addTask {
                        let token = LiveHarness.token(jti: "session-\(index)")
                        let response = try await harness.send(
                            harness.chatRequest(LiveHarness.body(stream: true), headers: [("authorization", "Bearer \(token)")])
                        )
                        return response.status
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses == Array(repeating: 200, count: 50))
        }
    }

    @Test func aClientThatDropsItsStreamFreesItsSlot() async throws {
        try await LiveHarness.run(configure: Self.limitOne) { harness in
            let reader = Task {
                let request = harness.chatRequest(LiveHarness.body(stream: true), headers: [("x-mock-hold", "never")])
                let response = try await harness.client.execute(request, timeout: .seconds(60))
                for try await _ in response.body {}
            }
            try await harness.mock.stats.wait { $0.active == 1 }
            let whileHeld = try await harness.send(harness.chatRequest(LiveHarness.body()))
            #expect(whileHeld.status == 429)
            reader.cancel()
            _ = await reader.result
            try await eventually("the session's slot is free") { harness.gateway.tokenLimiter.count("jwt:test-session") == 0 }
            let afterwards = try await harness.send(harness.chatRequest(LiveHarness.body()))
            #expect(afterwards.status == 200)
        }
    }

    /// The next request of a client that has read its whole stream (or just `[DONE]`) must find
    /// its place free: the slot is released before the end of the stream leaves the gateway.
    @Test func backToBackStreamsOnALimitOfOneAreAllAdmitted() async throws {
        try await LiveHarness.run(configure: Self.limitOne) { harness in
            for _ in 0..<100 {
                let response = try await harness.send(harness.chatRequest(LiveHarness.body(stream: true)))
                #expect(response.status == 200)
            }
        }
    }

    @Test func failedRequestsFreeTheirSlot() async throws {
        try await LiveHarness.run(configure: Self.limitOne) { harness in
            for fault in ["500", "malformed", "reset"] {
                _ = try await harness.send(
                    harness.chatRequest(LiveHarness.body(stream: fault == "reset"), headers: [("x-mock-fault", fault)]))
                try await eventually("the session's slot is free") { harness.gateway.tokenLimiter.count("jwt:test-session") == 0 }
            }
            #expect(try await harness.send(harness.chatRequest(LiveHarness.body())).status == 200)
        }
    }
}

@Suite(.timeLimit(.minutes(5))) struct AuthenticationLiveTests {
    func status(_ harness: LiveHarness, _ headers: [(String, String)], model: String = "gpt-4o-mini") async throws -> (Int, String) {
        let response = try await harness.send(harness.chatRequest(LiveHarness.body(model: model), headers: headers))
        return (response.status, response.body)
    }

    @Test func credentialsThatAreMissingMalformedForgedOrExpiredAre401() async throws {
        try await LiveHarness.run { harness in
            var noCredential = harness.chatRequest(LiveHarness.body())
            noCredential.headers.remove(name: "authorization")
            let missing = try await harness.send(noCredential)
            #expect(missing.status == 401)
            #expect((try JSONTestObject.parse(missing.body)?["error"] as? [String: Any])?["type"] as? String == "authentication_error")
            let forged = JWTSigner(secret: "not-the-gateway-secret-000").sign(
                SessionClaims(sub: "tester", tier: "pro", iat: 0, exp: Int(Date().timeIntervalSince1970) + 60, jti: "x")
            )
            let expired = JWTSigner(secret: LiveHarness.jwtSecret).sign(SessionClaims(sub: "tester", tier: "pro", iat: 0, exp: 1, jti: "x"))
            for credential in ["Bearer garbage", "Bearer \(forged)", "Bearer \(expired)", "Bearer sk-unknown-key", "Basic dGVzdA=="] {
                let (status, body) = try await self.status(harness, [("authorization", credential)])
                #expect(status == 401, "\(credential.prefix(20))")
                #expect(!body.contains(credential.dropFirst(7)), "the credential is echoed")
            }
            #expect(harness.mock.stats.snapshot.requests == 0)
        }
    }

    @Test func virtualKeysWorkAsBearerAndAsXAPIKeyAndCanBeRevoked() async throws {
        try await LiveHarness.run { harness in
            let (id, key) = try await harness.createKey()
            #expect(key.hasPrefix("sk-"))
            #expect(try await self.status(harness, [("authorization", "Bearer \(key)")]).0 == 200)
            #expect(try await self.status(harness, [("x-api-key", key)]).0 == 200)
            let list = try await harness.send(harness.request(.GET, "/admin/keys", bearer: LiveHarness.adminKey))
            #expect(list.status == 200)
            #expect(list.body.contains(id))
            #expect(!list.body.contains(key))
            #expect(!list.body.contains(VirtualKey.hash(key)))
            let revoked = try await harness.send(harness.request(.DELETE, "/admin/keys/\(id)", bearer: LiveHarness.adminKey))
            #expect(revoked.status == 200)
            #expect(try await self.status(harness, [("x-api-key", key)]).0 == 401)
            #expect(try await harness.send(harness.request(.DELETE, "/admin/keys/\(id)", bearer: LiveHarness.adminKey)).status == 404)
        }
    }

    @Test func aDisabledKeyIs403UntilEnabledAgain() async throws {
        try await LiveHarness.run { harness in
            let (id, key) = try await harness.createKey()
            let disable = try await harness.send(
                harness.request(.PATCH, "/admin/keys/\(id)", json: #"{"disabled":true}"#, bearer: LiveHarness.adminKey))
            #expect(disable.status == 200)
            #expect(try await self.status(harness, [("x-api-key", key)]).0 == 403)
            let enable = try await harness.send(
                harness.request(.PATCH, "/admin/keys/\(id)", json: #"{"disabled":false}"#, bearer: LiveHarness.adminKey))
            #expect(enable.status == 200)
            #expect(try await self.status(harness, [("x-api-key", key)]).0 == 200)
        }
    }

    @Test func aKeyLimitedToSomeModelsIs403ForOthers() async throws {
        try await LiveHarness.run { harness in
            let (_, key) = try await harness.createKey(models: ["gpt-4o-mini"])
            #expect(try await self.status(harness, [("x-api-key", key)], model: "gpt-4o-mini").0 == 200)
            let (status, body) = try await self.status(harness, [("x-api-key", key)], model: "gpt-3.5-turbo")
            #expect(status == 403)
            #expect(body.contains("permission_error"))
        }
    }

    @Test func aDisabledUserIs403() async throws {
        try await LiveHarness.run(configure: { config in
            config.auth.users.append(AuthUser(username: "gone", password: "gone-password", tier: "basic", disabled: true))
        }) { harness in
            let (status, _) = try await self.status(harness, [("authorization", "Bearer \(LiveHarness.token(user: "gone"))")])
            #expect(status == 403)
        }
    }

    @Test func theAdminAPINeedsTheAdminKey() async throws {
        try await LiveHarness.run { harness in
            #expect(try await harness.send(harness.request(.GET, "/admin/keys")).status == 401)
            #expect(try await harness.send(harness.request(.GET, "/admin/keys", bearer: LiveHarness.token())).status == 401)
            let badUser = try await harness.send(
                harness.request(.POST, "/admin/keys", json: #"{"name":"k","user":"nobody"}"#, bearer: LiveHarness.adminKey)
            )
            #expect(badUser.status == 400)
        }
    }
}

@Suite(.timeLimit(.minutes(5))) struct LoginLiveTests {
    func login(_ harness: LiveHarness, _ username: String, _ password: String) async throws -> (
        status: Int, body: String, retryAfter: String?
    ) {
        let response = try await harness.send(
            harness.request(.POST, "/auth/login", json: #"{"username":"\#(username)","password":"\#(password)"}"#)
        )
        return (response.status, response.body, response.headers.first(name: "retry-after"))
    }

    @Test func aLoginTokenWorksAndIsReusedWithinTheWindow() async throws {
        try await LiveHarness.run { harness in
            let first = try await self.login(harness, "tester", "tester-password")
            #expect(first.status == 200)
            let object = try #require(try JSONTestObject.parse(first.body))
            let token = try #require(object["token"] as? String)
            #expect(object["token_type"] as? String == "Bearer")
            #expect((object["expires_in"] as? Int ?? 0) > 0)
            let second = try await self.login(harness, "tester", "tester-password")
            #expect(try JSONTestObject.parse(second.body)?["token"] as? String == token)
            let chat = try await harness.send(harness.chatRequest(LiveHarness.body(), headers: [("authorization", "Bearer \(token)")]))
            #expect(chat.status == 200)
        }
    }

    @Test func wrongPasswordsAre401ThenThrottled() async throws {
        try await LiveHarness.run { harness in
            for _ in 0..<5 {
                let attempt = try await self.login(harness, "tester", "wrong")
                #expect(attempt.status == 401)
                #expect(!attempt.body.contains("wrong"))
            }
            let throttled = try await self.login(harness, "tester", "tester-password")
            #expect(throttled.status == 429)
            #expect(Int(throttled.retryAfter ?? "") ?? 0 > 0)
            let otherUser = try await self.login(harness, "nobody", "x")
            #expect(otherUser.status == 429, "the address is throttled too")
        }
    }

    @Test func malformedLoginsAre400() async throws {
        try await LiveHarness.run { harness in
            let malformed = try await harness.send(harness.request(.POST, "/auth/login", json: #"{"user":"x"}"#))
            #expect(malformed.status == 400)
        }
    }
}
