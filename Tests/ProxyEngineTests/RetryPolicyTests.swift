import Testing

@testable import ProxyEngine

@Suite(.timeLimit(.minutes(5))) struct RetryPolicyTests {
    @Test func aFailedAnswerIsTriedAgainWhileAttemptsRemainAndASuccessIsRelayed() {
        let policy = RetryPolicy(maxRetries: 2, hasPool: true)
        #expect(policy.decision(after: .failed, attempt: 0) == .tryAnother)
        #expect(policy.decision(after: .rateLimited(retryAfterSeconds: 5), attempt: 1) == .tryAnother)
        #expect(policy.decision(after: .refused, attempt: 2) == .relay, "the last attempt's answer is relayed")
        #expect(policy.decision(after: .success(latencySeconds: 0.1), attempt: 0) == .relay)
    }

    @Test func withoutAPoolNothingIsTriedAgain() {
        let policy = RetryPolicy(maxRetries: 3, hasPool: false)
        #expect(policy.decision(after: .failed, attempt: 0) == .relay)
        #expect(!policy.retriesFailures(after: 0))
    }

    @Test func theBackoffDoublesUpToItsCap() {
        #expect((0...8).map(RetryPolicy.backoffCeiling(beforeAttempt:)) == [0, 0.1, 0.2, 0.4, 0.8, 1.6, 2, 2, 2])
    }
}
