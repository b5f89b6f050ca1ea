import FoundationEssentials
import Synchronization
import TestSupport
import Testing

@testable import ProxyEngine

@Suite(.timeLimit(.minutes(5))) struct JWTTests {
    let signer = JWTSigner(secret: "test-secret-0123456789")
    let claims = SessionClaims(sub: "alice", tier: "pro", iat: 1_000, exp: 4_600, jti: "j1")

    @Test func aTokenItSignedVerifies() throws {
        let token = self.signer.sign(self.claims)
        #expect(try self.signer.verify(token, now: 2_000) == self.claims)
    }

    func rejects(_ token: String, now: Int = 2_000) -> Bool {
        do {
            _ = try self.signer.verify(token, now: now)
            return false
        } catch {
            return error.status == 401
        }
    }

    @Test func anExpiredTokenIsRejected() {
        #expect(self.rejects(self.signer.sign(self.claims), now: 4_600))
    }

    @Test func anotherSecretsSignatureIsRejected() {
        #expect(self.rejects(JWTSigner(secret: "another-secret").sign(self.claims)))
    }

    @Test func aTamperedPayloadIsRejected() throws {
        let parts = self.signer.sign(self.claims).split(separator: ".")
        let forged = Base64URL.encode(Array(#"{"sub":"root","tier":"premium","iat":1000,"exp":9999999999,"jti":"x"}"#.utf8))
        #expect(self.rejects("\(parts[0]).\(forged).\(parts[2])"))
    }

    @Test func algNoneIsRejected() {
        let header = Base64URL.encode(Array(#"{"alg":"none","typ":"JWT"}"#.utf8))
        let payload = Base64URL.encode(Array(#"{"sub":"alice","tier":"pro","iat":1000,"exp":9999999999,"jti":"x"}"#.utf8))
        #expect(self.rejects("\(header).\(payload)."))
        #expect(self.rejects("\(header).\(payload)"))
    }

    @Test func anotherAlgorithmIsRejected() {
        let token = self.signer.sign(self.claims)
        let parts = token.split(separator: ".")
        let header = Base64URL.encode(Array(#"{"alg":"HS512","typ":"JWT"}"#.utf8))
        #expect(self.rejects("\(header).\(parts[1]).\(parts[2])"))
    }

    @Test(arguments: ["", "abc", "a.b", "a.b.c.d", "....", "not base64!.x.y"])
    func malformedTokensAreRejected(token: String) {
        #expect(self.rejects(token))
    }

    @Test func aTruncatedTokenIsRejected() {
        let token = self.signer.sign(self.claims)
        #expect(self.rejects(String(token.dropLast(3))))
    }
}

@Suite(.timeLimit(.minutes(5))) struct PasswordHashTests {
    @Test func aHashVerifiesItsPasswordOnly() throws {
        let hash = try PasswordHash.make(password: "correct horse")
        #expect(hash.hasPrefix("scrypt$15$8$1$"))
        #expect(PasswordHash.isWellFormed(hash))
        #expect(PasswordHash.verify(password: "correct horse", against: hash))
        #expect(!PasswordHash.verify(password: "correct horsE", against: hash))
        #expect(!PasswordHash.verify(password: "correct horse", against: "plain-text"))
    }

    @Test func twoHashesOfOnePasswordDiffer() throws {
        #expect(try PasswordHash.make(password: "p") != PasswordHash.make(password: "p"))
    }
}

@Suite(.timeLimit(.minutes(5))) struct VirtualKeyTests {
    @Test func keysAre256BitsAndStoredOnlyAsAHash() {
        let (plaintext, record) = VirtualKey.generate(name: "ci", user: "alice", now: 100, models: ["gpt-*"])
        #expect(plaintext.hasPrefix("sk-"))
        #expect(Base64URL.decode(plaintext.dropFirst(3))?.count == 32)
        #expect(record.hash == VirtualKey.hash(plaintext))
        #expect(record.hash.count == 64)
        #expect(!record.hash.contains(plaintext))
        #expect(record.allows(model: "gpt-4o"))
        #expect(!record.allows(model: "claude-3"))
    }
}

/// A clock a test moves by hand.
final class ManualClock: Sendable {
    private let seconds: Mutex<Double>
    init(at start: Double = 1_000) { self.seconds = Mutex(start) }
    var now: Double { self.seconds.withLock { $0 } }
    func advance(_ by: Double) { self.seconds.withLock { $0 += by } }
}

@Suite(.timeLimit(.minutes(5))) struct LoginLimiterTests {
    @Test func theSameUserWithinTheWindowGetsTheSameToken() async {
        let clock = ManualClock()
        let limiter = LoginLimiter(cacheSeconds: 60, now: { clock.now })
        #expect(await limiter.cachedToken(for: "alice") == nil)
        await limiter.issued("token-1", to: "alice", expiresAt: clock.now + 3600)
        clock.advance(59)
        #expect(await limiter.cachedToken(for: "alice") == "token-1")
        #expect(await limiter.cachedToken(for: "bob") == nil)
        clock.advance(1)
        #expect(await limiter.cachedToken(for: "alice") == nil)
    }

    @Test func aTokenPastItsExpiryIsNotReused() async {
        let clock = ManualClock()
        let limiter = LoginLimiter(cacheSeconds: 60, now: { clock.now })
        await limiter.issued("short", to: "alice", expiresAt: clock.now + 10)
        clock.advance(10)
        #expect(await limiter.cachedToken(for: "alice") == nil)
    }

    @Test func repeatedFailuresAreThrottledPerUserAndPerAddress() async throws {
        let clock = ManualClock()
        let limiter = LoginLimiter(cacheSeconds: 60, maximumFailures: 3, failureWindowSeconds: 60, now: { clock.now })
        for _ in 0..<3 {
            await limiter.failed(try await limiter.begin(username: "alice", address: "10.0.0.1"))
            clock.advance(1)
        }
        await #expect(throws: LoginLimiter.Throttled.self) { try await limiter.begin(username: "alice", address: "10.9.9.9") }
        await #expect(throws: LoginLimiter.Throttled.self) { try await limiter.begin(username: "bob", address: "10.0.0.1") }
        do {
            _ = try await limiter.begin(username: "alice", address: "10.0.0.2")
            Issue.record("alice is not throttled")
        } catch {
            #expect(error.retryAfterSeconds == 57)
        }
        await limiter.succeeded(try await limiter.begin(username: "bob", address: "10.0.0.2"))
        clock.advance(58)
        await limiter.failed(try await limiter.begin(username: "alice", address: "10.0.0.1"))
    }

    @Test func anAttemptCountsBeforeItsPasswordIsChecked() async throws {
        let clock = ManualClock()
        let limiter = LoginLimiter(cacheSeconds: 60, maximumFailures: 5, maximumConcurrentVerifications: 100, now: { clock.now })
        // Five attempts started, none finished: the sixth is refused all the same.
        for index in 0..<5 { _ = try await limiter.begin(username: "alice", address: "10.0.0.\(index)") }
        await #expect(throws: LoginLimiter.Throttled.self) { try await limiter.begin(username: "alice", address: "10.0.1.1") }
    }

    @Test func aSuccessTakesItsAttemptBack() async throws {
        let clock = ManualClock()
        let limiter = LoginLimiter(cacheSeconds: 60, maximumFailures: 2, now: { clock.now })
        for _ in 0..<10 { await limiter.succeeded(try await limiter.begin(username: "alice", address: "10.0.0.1")) }
        _ = try await limiter.begin(username: "alice", address: "10.0.0.1")
    }

    @Test func passwordChecksAreCappedInParallel() async throws {
        let clock = ManualClock()
        let limiter = LoginLimiter(cacheSeconds: 60, maximumConcurrentVerifications: 2, now: { clock.now })
        let first = try await limiter.begin(username: "a", address: "1")
        _ = try await limiter.begin(username: "b", address: "2")
        await #expect(throws: LoginLimiter.Throttled.self) { try await limiter.begin(username: "c", address: "3") }
        await limiter.failed(first)
        _ = try await limiter.begin(username: "c", address: "3")
    }

    @Test func twentyTimesMoreUnknownUsernamesThanTrackedStayBounded() async throws {
        let clock = ManualClock()
        let limiter = LoginLimiter(cacheSeconds: 60, maximumConcurrentVerifications: 1, trackedNames: 1_000, now: { clock.now })
        let long = String(repeating: "x", count: 100_000)
        for index in 0..<20_000 {
            await limiter.failed(try await limiter.begin(username: "\(index)\(index % 100 == 0 ? long : "")", address: "a\(index)"))
        }
        #expect(await limiter.trackedCount <= 1_000)
    }
}

@Suite(.timeLimit(.minutes(5))) struct BoundedMapTests {
    @Test func entriesExpireAndTheLeastRecentlyTouchedGoFirst() {
        var map = BoundedMap<Int>(capacity: 8, maximumAge: 100)
        for index in 0..<8 { map.set("k\(index)", index, now: Double(index)) }
        #expect(map.value("k0", now: 10) == 0)  // touched: now the most recent
        map.set("new", 99, now: 11)
        #expect(map.count == 7)
        #expect(map.value("k0", now: 12) == 0)
        #expect(map.value("k1", now: 12) == nil)
        #expect(map.value("new", now: 110) == 99)
        #expect(map.value("new", now: 212) == nil)
    }

    @Test func aHundredThousandDistinctKeysStayWithinCapacity() {
        var map = BoundedMap<Int>(capacity: 10_000, maximumAge: 3600)
        for index in 0..<100_000 { map.set("key-\(index)", index, now: Double(index) / 100) }
        #expect(map.count <= 10_000)
        #expect(map.value("key-99999", now: 1000) == 99_999, "the newest survive")
    }

    @Test func keysAreCutToABoundedLength() {
        var map = BoundedMap<Int>(capacity: 8, maximumAge: 100)
        let prefix = String(repeating: "a", count: BoundedMap<Int>.maximumKeyBytes)
        map.set(prefix + "1", 1, now: 0)
        #expect(map.value(prefix + "2", now: 0) == 1)
    }

}

@Suite(.timeLimit(.minutes(5))) struct TokenLimiterTests {
    @Test func fiftySimultaneousAcquiresAdmitExactlyTheLimit() async {
        for limit in [1, 3] {
            let limiter = TokenLimiter(limit: limit)
            let slots = await withTaskGroup(of: ConcurrencySlot?.self, returning: [ConcurrencySlot].self) { group in
                for _ in 0..<50 { group.addTask { limiter.acquire("cred") } }
                return await group.reduce(into: []) { if let slot = $1 { $0.append(slot) } }
            }
            #expect(slots.count == limit)
            #expect(limiter.acquire("cred") == nil)
            slots[0].release()
            slots[0].release()
            #expect(limiter.count("cred") == limit - 1)
            #expect(limiter.acquire("cred") != nil)
        }
    }

    @Test func credentialsAreIndependent() async {
        let limiter = TokenLimiter(limit: 1)
        var slots: [ConcurrencySlot] = []
        for user in 0..<50 {
            let slot = limiter.acquire("user-\(user)")
            #expect(slot != nil)
            if let slot { slots.append(slot) }
        }
        #expect(slots.count == 50)
    }

    @Test func aForgottenSlotIsReleasedWhenDropped() async throws {
        let limiter = TokenLimiter(limit: 1)
        var slot = limiter.acquire("cred")
        #expect(slot != nil)
        slot = nil
        // The deinit safety net releases through a task; wait for the place to come back.
        try await eventually("the dropped slot is released") { limiter.count("cred") == 0 }
        #expect(limiter.acquire("cred") != nil)
    }
}
