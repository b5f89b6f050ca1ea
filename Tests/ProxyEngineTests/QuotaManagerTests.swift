import Testing

@testable import ProxyEngine

@Suite(.timeLimit(.minutes(5))) struct QuotaManagerTests {
    static let utc = QuotaCalendar(timeZone: "UTC")!
    /// 2026-11-30 23:59:00 UTC.
    static let endOfNovember = 1_796_083_140.0

    @Test func aQuotaOfNHitByFiveNConcurrentRequestsAdmitsExactlyN() async {
        let quota = QuotaManager(calendar: Self.utc, flushEveryRequests: 1000, now: { Self.endOfNovember - 3600 })
        let limits = QuotaManager.Limits(monthlyRequests: 20, monthlyTokens: 0)
        let admitted = await withTaskGroup(of: Int.self, returning: [Int].self) { group in
            for _ in 0..<100 {
                group.addTask {
                    do {
                        try await quota.admit(subject: "user:alice", limits: limits)
                        return 200
                    } catch {
                        return (error as? GatewayError)?.status ?? 0
                    }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(admitted.filter { $0 == 200 }.count == 20)
        #expect(admitted.filter { $0 == 402 }.count == 80)
        #expect(quota.usage(of: "user:alice").usage.requests == 20)
    }

    @Test func aTokenQuotaReservesEachRequestAndSettlesItToWhatItUsed() async throws {
        let quota = QuotaManager(calendar: Self.utc, flushEveryRequests: 1000, now: { Self.endOfNovember - 3600 })
        let limits = QuotaManager.Limits(monthlyRequests: 0, monthlyTokens: 100)
        let demand = QuotaReservation.Demand(promptTokens: 10, requestedOutputTokens: 50, price: nil)
        let first = try await quota.admit(subject: "s", limits: limits, demand: demand)
        #expect(first.reservation?.tokens == 60)
        // 60 reserved: a second request of 60 does not fit, one of at most 40 does (clamped).
        let second = try await quota.admit(subject: "s", limits: limits, demand: demand)
        #expect(second.reservation == QuotaReservation(promptTokens: 10, outputTokens: 30, microdollars: 0, isClamped: true))
        await #expect(throws: GatewayError.self) { try await quota.admit(subject: "s", limits: limits, demand: demand) }
        // Settled to what they used: what the first did not use is free again.
        quota.settle(first, tokens: 25, microdollars: 0, subject: "s")
        let charged = quota.settle(second, tokens: 90, microdollars: 0, subject: "s")
        #expect(charged.tokens == 40)
        #expect(quota.usage(of: "s").usage.tokens == 65)
        let third = try await quota.admit(subject: "s", limits: limits, demand: demand)
        #expect(third.reservation?.outputTokens == 25)
        quota.refund(subject: "s", third)
        #expect(quota.usage(of: "s").usage == .init(requests: 2, tokens: 65))
    }

    @Test func countsResetOnTheFirstAndTheOldMonthsTotalsAreKept() async throws {
        let clock = ManualClock(at: Self.endOfNovember)
        let quota = QuotaManager(calendar: Self.utc, flushEveryRequests: 1000, now: { clock.now })
        let limits = QuotaManager.Limits(monthlyRequests: 3, monthlyTokens: 0)
        for _ in 0..<3 { try await quota.admit(subject: "s", limits: limits) }
        await #expect(throws: GatewayError.self) { try await quota.admit(subject: "s", limits: limits) }
        #expect(quota.usage(of: "s").period.key == "2026-11")
        clock.advance(61)
        #expect(quota.usage(of: "s").usage.requests == 0)
        #expect(quota.usage(of: "s").period.key == "2026-12")
        try await quota.admit(subject: "s", limits: limits)
        let batches = quota.takeDirty()
        #expect(
            batches == [
                QuotaManager.Batch(period: "2026-11", usage: ["s": .init(requests: 3)]),
                QuotaManager.Batch(period: "2026-12", usage: ["s": .init(requests: 1)]),
            ])
    }

    @Test func theMonthTurnsAtMidnightInTheConfiguredZone() {
        let tokyo = QuotaCalendar(timeZone: "Asia/Tokyo")!
        // 2026-11-30 14:59:59 UTC is 23:59:59 in Tokyo; a second later it is December there.
        #expect(tokyo.period(at: 1_796_050_799).key == "2026-11")
        #expect(tokyo.period(at: 1_796_050_800).key == "2026-12")
        #expect(Self.utc.period(at: 1_796_050_800).key == "2026-11")
        #expect(tokyo.period(at: 1_796_050_800).startsAt == 1_796_050_800)
    }

    @Test func everyNAdmissionsAskForAFlush() async throws {
        let quota = QuotaManager(calendar: Self.utc, flushEveryRequests: 3, now: { Self.endOfNovember - 3600 })
        let limits = QuotaManager.Limits(monthlyRequests: 100, monthlyTokens: 0)
        var requests = quota.flushRequests.makeAsyncIterator()
        for _ in 0..<3 { try await quota.admit(subject: "s", limits: limits) }
        await requests.next()
        #expect(quota.takeDirty().first?.usage["s"]?.requests == 3)
        #expect(quota.takeDirty().isEmpty)
    }

    @Test func countsLoadedAtStartUpCount() async {
        let now = Self.endOfNovember - 3600
        let quota = QuotaManager(
            calendar: Self.utc,
            flushEveryRequests: 10,
            loaded: ("2026-11", ["s": .init(requests: 5, tokens: 0)]),
            now: { now }
        )
        await #expect(throws: GatewayError.self) {
            try await quota.admit(subject: "s", limits: .init(monthlyRequests: 5, monthlyTokens: 0))
        }
    }
}
