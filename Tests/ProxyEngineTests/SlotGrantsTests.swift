import Testing

@testable import ProxyEngine

@Suite(.timeLimit(.minutes(5))) struct SlotGrantsTests {
    @Test func aFreedSlotIsKeptAndUsedAgainWithoutTheStore() {
        var grants = SlotGrants()
        let before = grants.useGranted("k", lease: "1")
        #expect(!before)
        grants.granted("k", lease: "1")
        let released = grants.release(lease: "1")
        let releasedTwice = grants.release(lease: "1")
        #expect(released && !releasedTwice)
        let reused = grants.useGranted("k", lease: "2")
        let beyond = grants.useGranted("k", lease: "3")
        #expect(reused && !beyond)
        #expect(grants.granted("k") == 1 && grants.inUse("k") == 1)
    }

    @Test func onlyFreeSlotsAreGivenBack() {
        var grants = SlotGrants()
        for lease in ["1", "2", "3"] { grants.granted("k", lease: lease) }
        grants.release(lease: "2")
        let given = grants.giveBackSurplus(of: "k")
        #expect(given == 1)
        #expect(grants.granted("k") == 2 && grants.inUse("k") == 2)
        let first = grants.takeReturns()
        let second = grants.takeReturns()
        #expect(first == ["k": 1] && second.isEmpty)
    }

    @Test func idleCredentialsGiveBackEverythingAndAFailedWriteIsKept() {
        var grants = SlotGrants()
        grants.granted("idle", lease: "1")
        grants.granted("busy", lease: "2")
        grants.granted("busy", lease: "3")
        grants.release(lease: "1")
        grants.release(lease: "3")
        grants.giveBackIdle()
        #expect(grants.granted("idle") == 0 && grants.granted("busy") == 2)
        let returns = grants.takeReturns()
        #expect(returns == ["idle": 1])
        grants.restoreReturns(returns)
        let again = grants.takeReturns(of: "idle")
        #expect(again == 1)
        grants.giveBackIdle()
        let none = grants.takeReturns()
        #expect(none.isEmpty)
    }
}
