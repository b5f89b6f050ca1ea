import Synchronization
import Testing

@testable import ProxyEngine

/// A deterministic stand-in for `Double.random`: an evenly spread sequence.
final class SpreadRandom: Sendable {
    private let state = Mutex(0.0)
    func next(_ upper: Double) -> Double {
        self.state.withLock { value in
            value = (value + 0.618_033_988_749).truncatingRemainder(dividingBy: 1)
            return value * upper
        }
    }
}

@Suite(.timeLimit(.minutes(5))) struct AccountPoolTests {
    func pool(_ strategy: SelectionStrategy, weights: [Double] = [1, 2, 1], clock: ManualClock = ManualClock()) -> AccountPool {
        let random = SpreadRandom()
        return AccountPool(
            accounts: weights.enumerated().map { ("a\($0.offset)", $0.element) },
            strategy: strategy,
            now: { clock.now },
            random: { random.next($0) }
        )
    }

    func distribution(_ pool: AccountPool, selections: Int = 10_000) -> [Double] {
        var counts = [0, 0, 0]
        for _ in 0..<selections {
            let lease = pool.select()!
            counts[lease.account] += 1
            lease.end(.success(latencySeconds: 0.1))
        }
        return counts.map { Double($0) / Double(selections) }
    }

    /// Within two percentage points of the weights' shares.
    @Test func healthWeightedFollowsTheWeights() {
        let shares = self.distribution(self.pool(.healthWeighted))
        for (share, expected) in zip(shares, [0.25, 0.5, 0.25]) { #expect(abs(share - expected) < 0.02, "\(shares)") }
    }

    @Test func roundRobinAndRandomAreEven() {
        let roundRobin = self.distribution(self.pool(.roundRobin))
        #expect(roundRobin.allSatisfy { abs($0 - 1.0 / 3) < 0.001 }, "\(roundRobin)")
        let random = self.distribution(self.pool(.random))
        #expect(random.allSatisfy { abs($0 - 1.0 / 3) < 0.02 }, "\(random)")
    }

    /// An attempt counts until its lease ends, which for a stream is the stream's end.
    @Test func leastBusyPicksTheLeastLoaded() throws {
        let pool = self.pool(.leastBusy)
        let leases = try (0..<3).map { _ in try #require(pool.select()) }
        #expect(Set(leases.map(\.account)) == [0, 1, 2])
        let second = leases[1].account
        leases[1].end(.success(latencySeconds: 0.1))
        let next = try #require(pool.select())
        #expect(next.account == second)
        #expect(pool.statuses().map(\.inFlight) == [1, 1, 1])
    }

    @Test func aLeaseEndsOnceAndADroppedOneEndsAsCancelled() throws {
        let pool = self.pool(.roundRobin, weights: [1])
        let lease = try #require(pool.select())
        #expect(lease.end(.failed) == true)
        #expect(lease.end(.failed) == nil, "a second verdict does not count")
        #expect(pool.statuses()[0].inFlight == 0)
        do { _ = pool.select() }
        #expect(pool.statuses()[0].inFlight == 0, "a lease nobody ended ends when it goes")
    }

    @Test func aRateLimitedAccountGetsNoTrafficUntilItsReset() throws {
        let clock = ManualClock()
        let pool = self.pool(.roundRobin, clock: clock)
        let limited = try #require(pool.select())
        limited.end(.rateLimited(retryAfterSeconds: 10))
        for _ in 0..<30 {
            let other = try #require(pool.select())
            #expect(other.account != limited.account)
            other.end(.success(latencySeconds: 0.1))
        }
        clock.advance(10)
        var seen = false
        for _ in 0..<3 {
            let next = try #require(pool.select())
            seen = seen || next.account == limited.account
            next.end(.success(latencySeconds: 0.1))
        }
        #expect(seen)
    }

    @Test func repeatedFailuresOpenTheCircuitThenOneProbeAtATime() throws {
        let clock = ManualClock()
        let pool = self.pool(.roundRobin, weights: [1], clock: clock)
        for _ in 0..<AccountState.failuresToOpen { try #require(pool.select()).end(.failed) }
        #expect(pool.select() == nil)
        clock.advance(AccountState.firstOpenSeconds)
        let probe = try #require(pool.select())
        #expect(pool.select() == nil, "only one probe while half-open")
        probe.end(.failed)
        clock.advance(AccountState.firstOpenSeconds)
        #expect(pool.select() == nil, "a failed probe opens it for twice as long")
        clock.advance(AccountState.firstOpenSeconds)
        try #require(pool.select()).end(.success(latencySeconds: 0.1))
        #expect(pool.select()?.account == 0)
    }

    /// The bug a head-time verdict had: success at the head reset the failure count, so an
    /// account whose bodies all broke never opened its circuit.
    @Test func headsThatAnswerAndBodiesThatBreakOpenTheCircuit() throws {
        let pool = self.pool(.roundRobin, weights: [1])
        for _ in 0..<AccountState.failuresToOpen { try #require(pool.select()).end(.failed) }
        #expect(pool.select() == nil)
        #expect(pool.statuses()[0].reason == "circuit open")
    }

    @Test func aRefusedAccountStaysOutUntilEnabled() throws {
        let pool = self.pool(.roundRobin, weights: [1])
        try #require(pool.select()).end(.refused)
        #expect(pool.select() == nil)
        #expect(pool.statuses().first?.reason == "refused (401/403)")
        pool.enable(0)
        #expect(pool.select()?.account == 0)
    }

    @Test func aSessionStaysOnItsAccountWhileItIsAvailable() throws {
        let pool = self.pool(.roundRobin)
        let first = try #require(pool.select(session: "conversation-1"))
        first.end(.success(latencySeconds: 0.1))
        for _ in 0..<5 {
            let next = try #require(pool.select(session: "conversation-1"))
            #expect(next.account == first.account)
            next.end(.success(latencySeconds: 0.1))
        }
        try #require(pool.select(session: "conversation-1")).end(.rateLimited(retryAfterSeconds: 60))
        #expect(pool.select(session: "conversation-1")?.account != first.account)
    }

    /// A conversation served elsewhere while its account is out goes back to it: a native
    /// Responses id resolves only there.
    @Test func aSessionGoesBackToItsAccountWhenItReturns() throws {
        let clock = ManualClock()
        let pool = self.pool(.roundRobin, clock: clock)
        let home = try #require(pool.select())
        home.end(.success(latencySeconds: 0.1))
        pool.pin("response:resp_1", to: home.account)
        try #require(pool.select()).end(.rateLimited(retryAfterSeconds: 0))
        let limited = try #require(pool.select(session: "response:resp_1"))
        limited.end(.rateLimited(retryAfterSeconds: 10))
        let elsewhere = try #require(pool.select(session: "response:resp_1"))
        #expect(elsewhere.account != home.account)
        elsewhere.end(.success(latencySeconds: 0.1))
        clock.advance(10)
        #expect(pool.select(session: "response:resp_1")?.account == home.account)
    }

    @Test func aReloadKeepsEachConversationOnItsAccount() throws {
        let old = self.pool(.roundRobin)
        for (session, account) in [("a", 0), ("b", 2)] { old.pin(session, to: account) }
        // The new pool lists the accounts in another order.
        let new = AccountPool(accounts: [("a2", 1), ("a0", 1), ("a1", 1)], strategy: .roundRobin, now: { 0 })
        new.adopt(old.carriedState())
        #expect(new.select(session: "a")?.account == 1)
        #expect(new.select(session: "b")?.account == 0)
    }

    @Test(arguments: [
        ([("retry-after", "7")], 7.0),
        ([("x-ratelimit-reset-requests", "6m0s"), ("x-ratelimit-reset-tokens", "1s")], 360.0),
        ([("x-ratelimit-reset-tokens", "250ms")], 0.25),
        ([("anthropic-ratelimit-requests-reset", "2026-11-21T00:01:00Z")], 60.0),
    ])
    func resetHeaders(headers: [(String, String)], seconds: Double) {
        let now = 1_795_219_200.0  // 2026-11-21T00:00:00Z
        #expect(RateLimitReset.seconds(from: headers.map { (name: $0.0, value: $0.1) }, now: now) == seconds)
    }
}
