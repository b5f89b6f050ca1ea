import NIOCore
import Testing

@testable import ProxyEngine

@Suite(.timeLimit(.minutes(5))) struct RequestKeyHardeningTests {
    @Test(arguments: [
        #"{"model":"a","mod\u0065l":"b","messages":[1]}"#,
        #"{"model":"a","model":"b","messages":[1]}"#,
        #"{"model":"a","Model":"b","messages":[1]}"#,
        #"{"model":"a","mOdEl":"b","messages":[1]}"#,
        #"{"mod\u0065l":"a","messages":[1]}"#,
        #"{"model":"a","stream":true,"STREAM":false,"messages":[1]}"#,
        #"{"model":"a","\u017ftream":true,"messages":[1]}"#,
        #"{"model":"a","ſtream":true,"messages":[1]}"#,
        #"{"model":"a","messages":[1],"messages":[2]}"#,
        #"{"model":"a","messages":[1],"x":1,"\u0078":2}"#,
    ])
    func aBodyWithADuplicateOrVariantKeyIsRefused(body: String) {
        #expect(throws: GatewayError.self) { try CompletionRequestSummary(body: ByteBuffer(string: body)) }
    }

    @Test(arguments: [
        #"{"model":"a","messages":[1],"metadata":{"model":"b","model":"c"}}"#,
        #"{"model":"a","messages":[{"model":"b","Model":"c"}]}"#,
        #"{"model":"a","messages":[1],"models":"x","modelx":1,"\u0061":1}"#,
    ])
    func nestedAndUnrelatedKeysAreLeftAlone(body: String) throws {
        #expect(try CompletionRequestSummary(body: ByteBuffer(string: body)).model == "a")
    }
}

@Suite(.timeLimit(.minutes(5))) struct StreamEndMarkerTests {
    @Test(arguments: [
        ("data: [DONE]\n\n", true),
        ("data:[DONE]\n\n", true),
        ("data: [DONE]\r\n\r\n", true),
        ("data: {\"x\":1}\n\ndata: [DONE]\n\n", true),
        ("data: {\"model\":\"gpt-data: [DONE]-x\"}\n\n", false),
        ("data: {\"c\":\"\\ndata: [DONE]\\n\"}\n\n", false),
        ("data: [DONE]x\n\n", false),
        (": data: [DONE]\n\n", false),
    ])
    func openAIEndsAtAWholeDoneLine(text: String, ends: Bool) {
        #expect(StreamEndMarker.isIn(ByteBuffer(string: text), format: .openAI) == ends)
    }

    @Test(arguments: [
        ("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n", true),
        ("data: {\"type\":\"message_stop\"}\n\n", true),
        ("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"delta\":{\"text\":\"event: message_stop\"}}\n\n", false),
        ("data: {\"delta\":{\"text\":\"\\\"type\\\":\\\"message_stop\\\"\"}}\n\n", false),
    ])
    func anthropicEndsAtAMessageStopEvent(text: String, ends: Bool) {
        #expect(StreamEndMarker.isIn(ByteBuffer(string: text), format: .anthropic) == ends)
    }
}

@Suite(.timeLimit(.minutes(5))) struct UpstreamNumberTests {
    @Test func hugeUsageCountsAreClampedAndSumsCannotOverflow() throws {
        let body = ByteBuffer(string: #"{"usage":{"prompt_tokens":99999999999999999999999,"completion_tokens":9223372036854775807}}"#)
        let usage = try #require(TokenUsage.lastReported(in: body))
        #expect(usage.promptTokens == TokenUsage.maximumCount)
        #expect(usage.completionTokens == TokenUsage.maximumCount)
        #expect(usage.total == 2 * TokenUsage.maximumCount)
        let translated = TranslatedUsage(inputTokens: .max, outputTokens: .max, cacheReadTokens: .max, cacheCreationTokens: .max)
        #expect(translated.promptTokens == 3 * TokenUsage.maximumCount)
    }

    @Test(arguments: [("inf", RateLimitReset.longestSeconds), ("1e300", RateLimitReset.longestSeconds), ("5", 5.0)])
    func retryAfterIsClampedToADay(value: String, seconds: Double) {
        #expect(RateLimitReset.seconds(from: [("retry-after", value)], now: 0) == seconds)
    }

    @Test(arguments: ["nan", "-5", "-inf", "soon"])
    func retryAfterThatIsNotAWaitIsIgnored(value: String) {
        #expect(RateLimitReset.seconds(from: [("retry-after", value)], now: 0) == nil)
    }

    @Test func aQuotaCountSaturatesInsteadOfOverflowing() async {
        let quota = QuotaManager(calendar: QuotaCalendar(timeZone: "UTC")!, flushEveryRequests: 100, now: { 1_700_000_000 })
        quota.record(tokens: .max, subject: "s")
        quota.record(tokens: .max, subject: "s")
        #expect(quota.usage(of: "s").usage.tokens == .max)
    }
}

@Suite(.timeLimit(.minutes(5))) struct RefundTests {
    @Test func aRefundTakesBackOneAdmission() async throws {
        let quota = QuotaManager(calendar: QuotaCalendar(timeZone: "UTC")!, flushEveryRequests: 100, now: { 1_700_000_000 })
        let limits = QuotaManager.Limits(monthlyRequests: 2, monthlyTokens: 0)
        try await quota.admit(subject: "s", limits: limits)
        try await quota.admit(subject: "s", limits: limits)
        await #expect(throws: GatewayError.self) { try await quota.admit(subject: "s", limits: limits) }
        quota.refund(subject: "s", .counted)
        try await quota.admit(subject: "s", limits: limits)
        quota.refund(subject: "nobody", .counted)
        #expect(quota.usage(of: "nobody").usage.requests == 0)
    }

    @Test func aWaiterThatLeavesGivesItsPlaceInTheQueueBack() async throws {
        let clock = ManualClock()
        let pacer = UpstreamPacer(requestsPerSecond: 1, queueCapacity: 1, queueTimeoutSeconds: 10, now: { clock.now })
        #expect(try await pacer.reserveStart().wait == 0)
        let queued = try await pacer.reserveStart()
        #expect(queued.wait == 1)
        await #expect(throws: GatewayError.self) { try await pacer.reserveStart() }
        await pacer.giveBack(start: queued.start)
        #expect(try await pacer.reserveStart().wait == 1, "the place and the start time are free again")
    }

    @Test func aMinuteRefundTakesBackTheLastRequest() async throws {
        let clock = ManualClock()
        let limiter = MinuteLimiter(now: { clock.now })
        let tier = QuotaTier(requestsPerMinute: 1)
        try limiter.admit(user: "u", tier: tier)
        #expect(throws: GatewayError.self) { try limiter.admit(user: "u", tier: tier) }
        limiter.refund(user: "u")
        try limiter.admit(user: "u", tier: tier)
    }
}

@Suite(.timeLimit(.minutes(5))) struct AccountPoolHardeningTests {
    @Test func aHalfOpenProbeCutShortLeavesTheNextRequestToProbe() throws {
        let clock = ManualClock()
        let pool = AccountPool(accounts: [("a", 1)], strategy: .healthWeighted, now: { clock.now })
        for _ in 0..<AccountState.failuresToOpen { try #require(pool.select()).end(.failed) }
        #expect(pool.select() == nil, "the circuit is open")
        clock.advance(AccountState.firstOpenSeconds)
        let probe = try #require(pool.select())
        #expect(pool.select() == nil, "one probe at a time")
        probe.end(.cancelled)
        let next = try #require(pool.select(), "the probe's client left: the next request probes")
        #expect(pool.statuses()[0].inFlight == 1)
        next.end(.success(latencySeconds: 0))
    }

    @Test func twentyTimesMoreSessionsThanItsLimitStayBounded() {
        let pool = AccountPool(accounts: [("a", 1), ("b", 1)], strategy: .roundRobin, now: { 0 }, pinnedSessionLimit: 1_000)
        for index in 0..<20_000 { pool.select(session: "session-\(index)")?.end(.success(latencySeconds: 0)) }
        #expect(pool.pinnedSessions <= 1_000)
    }
}
