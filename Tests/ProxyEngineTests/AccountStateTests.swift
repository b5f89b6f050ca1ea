import Testing

@testable import ProxyEngine

/// The account's standing as a pure state machine: a sequence of verdicts in, states out.
@Suite(.timeLimit(.minutes(5))) struct AccountStateTests {
    @Test func failuresInARowOpenTheCircuitAndASuccessInBetweenResetsTheCount() {
        var state = AccountState.fresh
        for _ in 1..<AccountState.failuresToOpen { state.record(.failed, now: 0) }
        #expect(state == .healthy(consecutiveFailures: AccountState.failuresToOpen - 1))
        state.record(.success(latencySeconds: 0.1), now: 0)
        #expect(state == .fresh)
        for _ in 0..<AccountState.failuresToOpen { state.record(.failed, now: 100) }
        #expect(state == .open(until: 130, attempt: 1))
        #expect(!state.isAvailable(now: 129) && state.isAvailable(now: 130))
        #expect(state.reason(now: 100) == "circuit open" && state.until(now: 100) == 130)
    }

    @Test func aProbeThatFailsOpensForTwiceAsLongUpToTheLongest() {
        var state = AccountState.open(until: 30, attempt: 1)
        state.attemptStarted(now: 30)
        #expect(state == .probing(attempt: 1))
        #expect(!state.isAvailable(now: 30), "one probe at a time")
        #expect(state.reason(now: 30) == "half-open")
        state.record(.failed, now: 31)
        #expect(state == .open(until: 91, attempt: 2))
        #expect((1...8).map(AccountState.openSeconds) == [30, 60, 120, 240, 300, 300, 300, 300])
        state.attemptStarted(now: 91)
        state.record(.success(latencySeconds: 0.2), now: 92)
        #expect(state == .fresh)
    }

    @Test func aProbeCutShortIsTriedAgainAtOnce() {
        var state = AccountState.probing(attempt: 3)
        state.record(.cancelled, now: 50)
        #expect(state == .open(until: 50, attempt: 3))
        #expect(state.isAvailable(now: 50))
    }

    @Test func aRateLimitCoolsDownAndKeepsItsFailureCount() {
        var state = AccountState.healthy(consecutiveFailures: 2)
        state.record(.rateLimited(retryAfterSeconds: 10), now: 0)
        #expect(state == .coolingDown(until: 10, consecutiveFailures: 2))
        #expect(state.reason(now: 5) == "rate limited" && state.reason(now: 10) == nil)
        // An attempt that began before the 429 answers well: the cooldown stands.
        state.record(.success(latencySeconds: 0.1), now: 1)
        #expect(state == .coolingDown(until: 10, consecutiveFailures: 0))
        state.record(.rateLimited(retryAfterSeconds: 0), now: 2)
        #expect(state == .coolingDown(until: 10, consecutiveFailures: 0), "a shorter reset does not shorten it")
        state.attemptStarted(now: 10)
        #expect(state == .fresh)
    }

    @Test func aRateLimitedProbeIsProbedAgainAfterTheReset() {
        var state = AccountState.probing(attempt: 2)
        state.record(.rateLimited(retryAfterSeconds: 20), now: 100)
        #expect(state == .open(until: 120, attempt: 2))
    }

    @Test func aRefusedAccountStaysRefusedWhateverComesLate() {
        var state = AccountState.healthy(consecutiveFailures: 1)
        state.record(.refused, now: 0)
        for verdict in [AccountVerdict.success(latencySeconds: 0), .failed, .cancelled, .rateLimited(retryAfterSeconds: 1)] {
            state.record(verdict, now: 1)
        }
        #expect(state == .refused)
        #expect(!state.isAvailable(now: 1_000_000) && state.reason(now: 0) == "refused (401/403)" && state.until(now: 0) == nil)
    }

    @Test func aLateFailureDoesNotReopenAnOpenCircuit() {
        var state = AccountState.open(until: 60, attempt: 1)
        state.record(.failed, now: 40)
        #expect(state == .open(until: 60, attempt: 1))
        state.record(.cancelled, now: 41)
        #expect(state == .open(until: 60, attempt: 1))
    }
}
