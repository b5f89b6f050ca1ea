import NIOCore
import Synchronization
import TestSupport
import Testing

@testable import ProxyEngine

@Suite(.timeLimit(.minutes(5))) struct PKCETests {
    /// RFC 7636, Appendix B.
    @Test func theChallengeIsTheRFCsS256() {
        let pkce = PKCE(verifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", state: "s")
        #expect(pkce.challenge == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
    }

    @Test func aFreshRequestHasAVerifierOfAllowedLengthAndItsOwnState() {
        let a = PKCE()
        let b = PKCE()
        #expect((43...128).contains(a.verifier.count))
        #expect(a.verifier != b.verifier && a.state != b.state)
    }

    @Test func theAuthorizeURLCarriesTheChallengeNotTheVerifier() {
        let pkce = PKCE(verifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", state: "st8")
        let url = pkce.authorizeURL(OAuthSettings())
        #expect(
            url.hasPrefix("https://claude.ai/oauth/authorize?code=true&client_id=9d1c250a-e61b-44d9-88ed-5944d1962f5e&response_type=code"))
        #expect(url.contains("&redirect_uri=https%3A%2F%2Fconsole.anthropic.com%2Foauth%2Fcode%2Fcallback"))
        #expect(url.contains("&scope=org%3Acreate_api_key%20user%3Aprofile%20user%3Ainference"))
        #expect(url.contains("&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256&state=st8"))
        #expect(!url.contains(pkce.verifier))
    }
}

/// A token endpoint that counts its calls and holds each until released, so that every
/// concurrent caller is provably waiting while the one refresh is in flight.
final class GatedTokenEndpoint: OAuthTokenEndpoint {
    let calls = Mutex(0)
    let fails: Bool
    let release: AsyncStream<Void>
    private let releaseSink: AsyncStream<Void>.Continuation

    init(fails: Bool = false) {
        self.fails = fails
        (self.release, self.releaseSink) = AsyncStream<Void>.makeStream()
    }

    func open() { self.releaseSink.finish() }

    struct Refused: Error {}

    func refresh(refreshToken: String) async throws -> OAuthTokens {
        let call = self.calls.withLock {
            $0 += 1
            return $0
        }
        for await _ in self.release {}
        // A refresh cancelled with the caller that started it would end here.
        try Task.checkCancellation()
        if self.fails { throw Refused() }
        return OAuthTokens(accessToken: "access-\(call)", refreshToken: "", expiresAt: 10_000)
    }
}

@Suite(.timeLimit(.minutes(5))) struct OAuthManagerTests {
    static let expired = OAuthTokens(accessToken: "old", refreshToken: "refresh-1", expiresAt: 50)

    @Test func aHundredRequestsOnAnExpiredTokenMakeOneRefresh() async throws {
        let endpoint = GatedTokenEndpoint()
        let manager = OAuthManager(endpoint: endpoint, seeds: ["cc-1": Self.expired], now: { 100 })
        let tokens = try await withThrowingTaskGroup(of: String.self, returning: [String].self) { group in
            for _ in 0..<100 { group.addTask { try await manager.accessToken(for: "cc-1") } }
            // Every caller is waiting on the one refresh in flight before it may end.
            try await eventually("all 100 callers wait on the refresh") { await manager.refreshWaiters == 100 }
            endpoint.open()
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(tokens == Array(repeating: "access-1", count: 100))
        #expect(endpoint.calls.withLock { $0 } == 1)
        // The refresh token is kept when the endpoint does not send a new one.
        #expect(await manager.tokens(of: "cc-1")?.refreshToken == "refresh-1")
    }

    @Test func aTokenIsRefreshedBeforeItExpiresNotAfter() async throws {
        let endpoint = GatedTokenEndpoint()
        endpoint.open()
        let now = Mutex(0.0)
        let manager = OAuthManager(
            endpoint: endpoint, seeds: ["a": OAuthTokens(accessToken: "t", refreshToken: "r", expiresAt: 1000)], refreshMarginSeconds: 300,
            now: { now.withLock { $0 } })
        now.withLock { $0 = 699 }
        #expect(try await manager.accessToken(for: "a") == "t")
        now.withLock { $0 = 701 }
        #expect(try await manager.accessToken(for: "a") == "access-1")
    }

    @Test func aRejectedTokenIsReplacedOnceHoweverManyRequestsSawIt() async throws {
        let endpoint = GatedTokenEndpoint()
        let manager = OAuthManager(
            endpoint: endpoint, seeds: ["a": OAuthTokens(accessToken: "revoked", refreshToken: "r", expiresAt: 1e12)], now: { 100 })
        let tokens = try await withThrowingTaskGroup(of: String.self, returning: [String].self) { group in
            for _ in 0..<50 { group.addTask { try await manager.tokenRejected("revoked", for: "a") } }
            try await eventually("all 50 callers wait on the refresh") { await manager.refreshWaiters == 50 }
            endpoint.open()
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(Set(tokens) == ["access-1"])
        // A request that saw the old token after the refresh gets the new one without another.
        #expect(try await manager.tokenRejected("revoked", for: "a") == "access-1")
        #expect(endpoint.calls.withLock { $0 } == 1)
    }

    @Test func aFailedRefreshFailsEveryWaiterAndTheNextRequestTriesAgain() async throws {
        let endpoint = GatedTokenEndpoint(fails: true)
        let manager = OAuthManager(endpoint: endpoint, seeds: ["a": Self.expired], now: { 100 })
        let failures = await withTaskGroup(of: Bool.self, returning: Int.self) { group in
            for _ in 0..<10 {
                group.addTask {
                    do {
                        _ = try await manager.accessToken(for: "a")
                        return false
                    } catch {
                        return (error as? OAuthRefreshFailed)?.account == "a"
                    }
                }
            }
            try? await eventually("all 10 callers wait on the refresh") { await manager.refreshWaiters == 10 }
            endpoint.open()
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(failures == 10)
        #expect(endpoint.calls.withLock { $0 } == 1)
        await #expect(throws: OAuthRefreshFailed.self) { try await manager.accessToken(for: "a") }
        #expect(endpoint.calls.withLock { $0 } == 2)
    }

    @Test func anAccountWithoutARefreshTokenCannotGetOne() async {
        let manager = OAuthManager(endpoint: GatedTokenEndpoint(), now: { 0 })
        await #expect(throws: OAuthRefreshFailed.self) { try await manager.accessToken(for: "nobody") }
    }

    @Test func theSystemPromptAndBetaFlagAreAddedOnce() {
        let plain = OAuthRequestShaping.addingSystemPrompt(to: .init(string: #"{"model":"c","system":"Be brief.","messages":[]}"#))
        #expect(
            json(String(buffer: plain))["system"]
                == json(
                    #"[{"type":"text","text":"You are Claude Code, Anthropic's official CLI for Claude."},{"type":"text","text":"Be brief."}]"#
                ))
        let again = OAuthRequestShaping.addingSystemPrompt(to: plain)
        #expect(again == plain)
        #expect(OAuthRequestShaping.betaHeader(adding: nil) == "oauth-2025-04-20")
        #expect(OAuthRequestShaping.betaHeader(adding: "a,b") == "a,b,oauth-2025-04-20")
        #expect(OAuthRequestShaping.betaHeader(adding: "a, oauth-2025-04-20") == "a, oauth-2025-04-20")
    }
}

/// A token endpoint that rotates refresh tokens and revokes each one once used, as Anthropic's
/// does; and the store two instances share.
final class RotatingTokenEndpoint: OAuthTokenEndpoint {
    private struct State {
        var valid: Set<String> = ["refresh-0"]
        var issued = 0
        var stored: OAuthTokens?
    }
    private let state = Mutex(State())

    struct Revoked: Error {}

    func refresh(refreshToken: String) async throws -> OAuthTokens {
        try self.state.withLock { state in
            guard state.valid.remove(refreshToken) != nil else { throw Revoked() }
            state.issued += 1
            state.valid.insert("refresh-\(state.issued)")
            return OAuthTokens(accessToken: "access-\(state.issued)", refreshToken: "refresh-\(state.issued)", expiresAt: 0)
        }
    }

    func save(_ tokens: OAuthTokens) { self.state.withLock { $0.stored = tokens } }
    var stored: OAuthTokens? { self.state.withLock { $0.stored } }
    var issued: Int { self.state.withLock { $0.issued } }
}

@Suite(.timeLimit(.minutes(5))) struct OAuthRotationTests {
    /// Issue #22, item 6: an instance whose refresh is refused because another instance used (and
    /// so revoked) the refresh token they both had takes the tokens the other saved.
    @Test func twoInstancesKeepRefreshingThroughRotations() async throws {
        let endpoint = RotatingTokenEndpoint()
        // Tokens that expire at once, so every request refreshes: a rotation per request.
        let seed = OAuthTokens(accessToken: "", refreshToken: "refresh-0", expiresAt: 0)
        let instances = (0..<2).map { _ in
            OAuthManager(
                endpoint: endpoint, seeds: ["cc": seed], now: { 100 }, storedTokens: { _ in endpoint.stored },
                onRefreshed: { _, tokens in endpoint.save(tokens) })
        }
        var tokens: [String] = []
        for round in 0..<6 { tokens.append(try await instances[round % 2].accessToken(for: "cc")) }
        // Each instance's refresh after the other's fails once, then succeeds with theirs.
        #expect(tokens == ["access-1", "access-2", "access-3", "access-4", "access-5", "access-6"])
        #expect(endpoint.issued == 6)
    }

    @Test func withoutTheStoreTheOtherInstanceFails() async throws {
        let endpoint = RotatingTokenEndpoint()
        let seed = OAuthTokens(accessToken: "", refreshToken: "refresh-0", expiresAt: 0)
        let first = OAuthManager(endpoint: endpoint, seeds: ["cc": seed], now: { 100 })
        let second = OAuthManager(endpoint: endpoint, seeds: ["cc": seed], now: { 100 })
        #expect(try await first.accessToken(for: "cc") == "access-1")
        await #expect(throws: OAuthRefreshFailed.self) { try await second.accessToken(for: "cc") }
    }
}

@Suite(.timeLimit(.minutes(5))) struct OAuthSharedRefreshTests {
    /// A waiter whose client left (its task cancelled) must not cancel the refresh the others
    /// wait on: the refresh is an unstructured task of its own.
    @Test func aWaiterThatLeavesDoesNotCancelTheSharedRefresh() async throws {
        let endpoint = GatedTokenEndpoint()
        let manager = OAuthManager(endpoint: endpoint, seeds: ["a": OAuthManagerTests.expired], now: { 100 })
        // The caller that starts the refresh is the one that leaves.
        let leaving = Task { try await manager.accessToken(for: "a") }
        try await eventually("the first caller started the refresh") { await manager.refreshWaiters == 1 }
        let staying = Task { try await manager.accessToken(for: "a") }
        try await eventually("both callers wait on the refresh") { await manager.refreshWaiters == 2 }
        leaving.cancel()
        endpoint.open()
        #expect(try await staying.value == "access-1")
        #expect(endpoint.calls.withLock { $0 } == 1)
        #expect(await manager.tokens(of: "a")?.accessToken == "access-1")
        _ = try? await leaving.value
    }
}
