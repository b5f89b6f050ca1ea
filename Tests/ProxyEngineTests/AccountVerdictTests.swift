import Testing

@testable import ProxyEngine

@Suite(.timeLimit(.minutes(5))) struct AccountVerdictTests {
    @Test(arguments: [
        (200, AccountVerdict.success(latencySeconds: 0.5)), (400, .success(latencySeconds: 0.5)), (401, .refused), (403, .refused),
        (429, .rateLimited(retryAfterSeconds: 7)), (500, .failed), (503, .failed),
    ])
    func anAnswersStatusIsItsAccountsVerdict(status: Int, expected: AccountVerdict) {
        #expect(AccountVerdict.of(status: status, headers: [("retry-after", "7")], latencySeconds: 0.5, now: 0) == expected)
    }

    @Test func aRateLimitWithoutAResetCoolsDownForThirtySeconds() {
        #expect(AccountVerdict.of(status: 429, headers: [], latencySeconds: 0, now: 0) == .rateLimited(retryAfterSeconds: 30))
    }
}
