import Testing

@testable import ProxyEngine

@Suite(.timeLimit(.minutes(5))) struct UpstreamPacerTests {
    @Test func queuedRequestsStartNoFasterThanTheRate() async throws {
        let clock = ManualClock()
        let pacer = UpstreamPacer(requestsPerSecond: 2, queueCapacity: 10, queueTimeoutSeconds: 10, now: { clock.now })
        var starts: [Double] = []
        for _ in 0..<5 { starts.append(clock.now + (try await pacer.reserve())) }
        #expect(starts.map { $0 - 1_000 } == [0, 0.5, 1.0, 1.5, 2.0])
        for (earlier, later) in zip(starts, starts.dropFirst()) { #expect(later - earlier >= 0.5) }
    }

    @Test func aFullQueueIs429() async throws {
        let clock = ManualClock()
        let pacer = UpstreamPacer(requestsPerSecond: 1, queueCapacity: 2, queueTimeoutSeconds: 60, now: { clock.now })
        #expect(try await pacer.reserve() == 0)
        #expect(try await pacer.reserve() == 1)
        #expect(try await pacer.reserve() == 2)
        do {
            _ = try await pacer.reserve()
            Issue.record("a third waiter was queued")
        } catch {
            #expect(error.status == 429)
            #expect(error.retryAfterSeconds == 3)
        }
        clock.advance(1)
        #expect(try await pacer.reserve() == 2, "a place frees once a waiter has started")
    }

    @Test func aWaitLongerThanTheQueueTimeoutIs408() async throws {
        let clock = ManualClock()
        let pacer = UpstreamPacer(requestsPerSecond: 1, queueCapacity: 100, queueTimeoutSeconds: 2.5, now: { clock.now })
        for _ in 0..<3 { _ = try await pacer.reserve() }
        do {
            _ = try await pacer.reserve()
            Issue.record("a 3 s wait was accepted under a 2.5 s timeout")
        } catch {
            #expect(error.status == 408)
        }
    }

    @Test func noRateMeansNoWait() async throws {
        let pacer = UpstreamPacer(requestsPerSecond: 0, queueCapacity: 0, queueTimeoutSeconds: 1, now: { 0 })
        for _ in 0..<100 { #expect(try await pacer.reserve() == 0) }
    }
}

@Suite(.timeLimit(.minutes(5))) struct MinuteLimiterTests {
    @Test func requestsPerMinuteSlide() async throws {
        let clock = ManualClock()
        let limiter = MinuteLimiter(now: { clock.now })
        let tier = QuotaTier(requestsPerMinute: 3)
        for _ in 0..<3 {
            try limiter.admit(user: "alice", tier: tier)
            clock.advance(10)
        }
        do {
            try limiter.admit(user: "alice", tier: tier)
            Issue.record("a fourth request in a minute was admitted")
        } catch {
            #expect(error.status == 429)
            #expect(error.retryAfterSeconds == 30)
        }
        try limiter.admit(user: "bob", tier: tier)
        clock.advance(30)
        try limiter.admit(user: "alice", tier: tier)
    }

    @Test func tokensPerMinuteStopAUserOnceReportedUsageCrossesTheLimit() async throws {
        let clock = ManualClock()
        let limiter = MinuteLimiter(now: { clock.now })
        let tier = QuotaTier(tokensPerMinute: 100)
        try limiter.admit(user: "alice", tier: tier)
        limiter.record(tokens: 60, user: "alice")
        clock.advance(20)
        try limiter.admit(user: "alice", tier: tier)
        limiter.record(tokens: 50, user: "alice")
        do {
            try limiter.admit(user: "alice", tier: tier)
            Issue.record("110 tokens in a minute under a limit of 100")
        } catch {
            #expect(error.status == 429)
            #expect(error.retryAfterSeconds == 40)
        }
        clock.advance(40)
        try limiter.admit(user: "alice", tier: tier)
    }
}
