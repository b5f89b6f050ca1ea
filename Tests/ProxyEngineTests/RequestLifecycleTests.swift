import Testing

@testable import ProxyEngine

/// A request's life as a pure state machine: events in, actions out, one end.
@Suite(.timeLimit(.minutes(5))) struct RequestLifecycleTests {
    typealias Machine = RequestLifecycle.StateMachine

    /// The machine's end, which must come.
    func end(_ machine: inout Machine, _ status: Int, _ cause: RequestLifecycle.Cause) throws -> RequestLifecycle.Ending {
        let ending = machine.end(status: status, cause: cause)
        return try #require(ending)
    }

    static func lease() -> AccountLease {
        AccountPool(accounts: [("a", 1)], strategy: .roundRobin, now: { 0 }).select()!
    }

    @Test func refusedBeforeTheAttemptIsRefunded() throws {
        var machine = Machine()
        let ending = try self.end(&machine, 429, .noUpstream)
        #expect(ending.settlement == .refund && ending.status == 429 && ending.verdict == nil)
        let again = machine.end(status: 200, cause: .answered)
        #expect(again == nil, "it ends once")
    }

    @Test func noAccountForTheFirstAttemptIsRefundedAndFailedAttemptsAreCharged() throws {
        var none = Machine()
        none.attemptStarted()
        #expect(try self.end(&none, 503, .noUpstream).settlement == .refund)
        var failed = Machine()
        failed.attemptStarted()
        #expect(try self.end(&failed, 502, .answered).settlement == .charge)
        var left = Machine()
        left.attemptStarted()
        #expect(try self.end(&left, 499, .clientLeft).settlement == .charge, "a provider was asked")
    }

    @Test func aWholeAnswerIsChargedAndItsVerdictWasGivenAlready() throws {
        var machine = Machine()
        machine.attemptStarted()
        machine.answered(streamingOn: nil, isStream: false)
        let ending = try self.end(&machine, 200, .answered)
        #expect(ending.settlement == .charge && ending.verdict == nil)
    }

    @Test func aStreamWhoseBodyFailsGivesOneFailureVerdict() throws {
        var machine = Machine()
        machine.attemptStarted()
        let lease = Self.lease()
        machine.answered(streamingOn: lease, latencySeconds: 0.2, isStream: true)
        let ending = try self.end(&machine, 502, .upstreamFailed)
        #expect(ending.verdict?.lease === lease && ending.verdict?.verdict == .failed)
        #expect(ending.settlement == .charge)
        let again = machine.end(status: 499, cause: .clientLeft)
        #expect(again == nil, "no second verdict")
    }

    @Test func theEndMarkerThenTheClientLeavingFreesTheSlotOnceAndCharges() throws {
        var machine = Machine()
        machine.attemptStarted()
        machine.answered(streamingOn: Self.lease(), latencySeconds: 0.1, isStream: true)
        let first = machine.endMarkerSeen()
        let second = machine.endMarkerSeen()
        #expect(first && !second, "the slot is freed once")
        let ending = try self.end(&machine, 499, .clientLeft)
        #expect(ending.settlement == .charge)
        #expect(ending.verdict?.verdict == .success(latencySeconds: 0.1), "the upstream had delivered it all")
    }

    @Test func aClientLeavingWhileAFailureEventGoesOutLeavesTheAccountUnjudged() throws {
        var machine = Machine()
        machine.attemptStarted()
        machine.answered(streamingOn: Self.lease(), isStream: true)
        let freed = machine.endMarkerSeen(delivered: false)
        #expect(freed, "a failure event ends the stream too: the slot is freed")
        #expect(try self.end(&machine, 499, .clientLeft).verdict?.verdict == .cancelled, "the upstream did not deliver")
    }

    @Test func aClientLeavingMidStreamSaysNothingOfTheAccount() throws {
        var machine = Machine()
        machine.attemptStarted()
        machine.answered(streamingOn: Self.lease(), isStream: true)
        #expect(try self.end(&machine, 499, .clientLeft).verdict?.verdict == .cancelled)
    }

    @Test func aStreamToItsEndIsASuccess() throws {
        var machine = Machine()
        machine.attemptStarted()
        machine.answered(streamingOn: Self.lease(), latencySeconds: 0.3, isStream: true)
        _ = machine.endMarkerSeen()
        #expect(try self.end(&machine, 200, .answered).verdict?.verdict == .success(latencySeconds: 0.3))
    }
}
