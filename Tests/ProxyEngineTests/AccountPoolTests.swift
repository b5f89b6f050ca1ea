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

@Suite(.timeLimit(.minutes(1))) struct AccountPoolTests {
    func pool(_ strategy: SelectionStrategy, weights: [Double] = [1, 2, 1], clock: ManualClock = ManualClock()) -> AccountPool {
        let random = SpreadRandom()
        return AccountPool(
            accounts: weights.enumerated().map { ("a\($0.offset)", $0.element) },
            strategy: strategy,
            now: { clock.now },
            random: { random.next($0) }
        )
    }

    func distribution(_ pool: AccountPool, selections: Int = 10_000) async -> [Double] {
        var counts = [0, 0, 0]
        for _ in 0..<selections {
            let index = await pool.select()!
            counts[index] += 1
            await pool.report(index, .success(latencySeconds: 0.1))
        }
        return counts.map { Double($0) / Double(selections) }
    }

    /// Within two percentage points of the weights' shares.
    @Test func healthWeightedFollowsTheWeights() async {
        let shares = await self.distribution(self.pool(.healthWeighted))
        for (share, expected) in zip(shares, [0.25, 0.5, 0.25]) { #expect(abs(share - expected) < 0.02, "\(shares)") }
    }

    @Test func roundRobinAndRandomAreEven() async {
        let roundRobin = await self.distribution(self.pool(.roundRobin))
        #expect(roundRobin.allSatisfy { abs($0 - 1.0 / 3) < 0.001 }, "\(roundRobin)")
        let random = await self.distribution(self.pool(.random))
        #expect(random.allSatisfy { abs($0 - 1.0 / 3) < 0.02 }, "\(random)")
    }

    @Test func leastBusyPicksTheLeastLoaded() async {
        let pool = self.pool(.leastBusy)
        let first = await pool.select()!
        let second = await pool.select()!
        let third = await pool.select()!
        #expect(Set([first, second, third]) == [0, 1, 2])
        await pool.report(second, .success(latencySeconds: 0.1))
        #expect(await pool.select() == second)
    }

    @Test func aRateLimitedAccountGetsNoTrafficUntilItsReset() async {
        let clock = ManualClock()
        let pool = self.pool(.roundRobin, clock: clock)
        let index = await pool.select()!
        await pool.report(index, .rateLimited(retryAfterSeconds: 10))
        for _ in 0..<30 {
            let other = await pool.select()!
            #expect(other != index)
            await pool.report(other, .success(latencySeconds: 0.1))
        }
        clock.advance(10)
        var seen = false
        for _ in 0..<3 {
            let next = await pool.select()!
            seen = seen || next == index
            await pool.report(next, .success(latencySeconds: 0.1))
        }
        #expect(seen)
    }

    @Test func repeatedFailuresOpenTheCircuitThenOneProbeAtATime() async {
        let clock = ManualClock()
        let pool = self.pool(.roundRobin, weights: [1], clock: clock)
        for _ in 0..<AccountPool.failuresToOpen {
            let index = await pool.select()!
            await pool.report(index, .failed)
        }
        #expect(await pool.select() == nil)
        clock.advance(AccountPool.firstOpenSeconds)
        let probe = await pool.select()
        #expect(probe == 0)
        #expect(await pool.select() == nil, "only one probe while half-open")
        await pool.report(0, .failed)
        clock.advance(AccountPool.firstOpenSeconds)
        #expect(await pool.select() == nil, "a failed probe opens it for twice as long")
        clock.advance(AccountPool.firstOpenSeconds)
        #expect(await pool.select() == 0)
        await pool.report(0, .success(latencySeconds: 0.1))
        #expect(await pool.select() == 0)
    }

    @Test func aRefusedAccountStaysOutUntilEnabled() async {
        let pool = self.pool(.roundRobin, weights: [1])
        await pool.report(await pool.select()!, .refused)
        #expect(await pool.select() == nil)
        #expect(await pool.statuses().first?.reason == "refused (401/403)")
        await pool.enable(0)
        #expect(await pool.select() == 0)
    }

    @Test func aSessionStaysOnItsAccountWhileItIsAvailable() async {
        let pool = self.pool(.roundRobin)
        let first = await pool.select(session: "conversation-1")!
        for _ in 0..<5 {
            await pool.report(first, .success(latencySeconds: 0.1))
            #expect(await pool.select(session: "conversation-1") == first)
        }
        await pool.report(first, .rateLimited(retryAfterSeconds: 60))
        #expect(await pool.select(session: "conversation-1") != first)
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
