import Testing

@testable import ProxyServer

/// Each transition of `ClientTimeoutState`: when a client connection is timed.
@Suite(.timeLimit(.minutes(5))) struct ClientTimeoutStateTests {
    @Test func anIdleConnectionIsTimedAndClosedUncounted() {
        let state = ClientTimeoutState()
        #expect(state.phase == .idle)
        #expect(state.timerFired() == .close(cutRequest: false))
    }

    @Test func aHeadStartsTheBodysTime() {
        var state = ClientTimeoutState()
        #expect(state.requestHeadReceived(closes: false) == .arm)
        #expect(state.phase == .readingRequest(answersOwed: 1, closes: false))
        #expect(state.timerFired() == .close(cutRequest: true))
    }

    @Test func aReadRequestIsNotTimedWhileItIsAnswered() {
        var state = ClientTimeoutState()
        _ = state.requestHeadReceived(closes: false)
        #expect(state.requestBodyReceived(bytes: 10) == true)
        #expect(state.requestEndReceived() == .disarm)
        #expect(state.phase == .answering(answersOwed: 1))
        #expect(state.timerFired() == .ignore)
    }

    @Test func theLastAnswerStartsTheIdleTime() {
        var state = ClientTimeoutState()
        _ = state.requestHeadReceived(closes: false)
        _ = state.requestEndReceived()
        #expect(state.responseEndWritten() == .arm)
        #expect(state.phase == .idle)
    }

    /// The finding: a 401 written before the body arrived left the connection untimed for ever.
    @Test func anAnswerBeforeTheBodyKeepsTheBodyTimedThenTheIdleTime() {
        var state = ClientTimeoutState()
        _ = state.requestHeadReceived(closes: false)
        #expect(state.responseEndWritten() == .keep)
        #expect(state.phase == .readingRequest(answersOwed: 0, closes: false))
        #expect(state.timerFired() == .close(cutRequest: true))
        #expect(state.dropsBody)
        #expect(state.requestBodyReceived(bytes: 10) == false)
        #expect(state.requestEndReceived() == .arm)
        #expect(state.phase == .idle)
        #expect(!state.dropsBody)
    }

    @Test func anAnsweredBodyAskingToCloseClosesOnceRead() {
        var state = ClientTimeoutState()
        _ = state.requestHeadReceived(closes: true)
        _ = state.responseEndWritten()
        #expect(state.requestEndReceived() == .close)
    }

    @Test func tooMuchDroppedBodyClosesTheConnection() {
        var state = ClientTimeoutState()
        _ = state.requestHeadReceived(closes: false)
        _ = state.responseEndWritten()
        #expect(state.requestBodyReceived(bytes: ClientTimeoutState.maximumDroppedBytes) == false)
        #expect(state.requestBodyReceived(bytes: 1) == nil)
    }

    @Test func pipelinedRequestsAreAnsweredBeforeTheIdleTimeStarts() {
        var state = ClientTimeoutState()
        _ = state.requestHeadReceived(closes: false)
        _ = state.requestEndReceived()
        #expect(state.requestHeadReceived(closes: false) == .arm)
        #expect(state.phase == .readingRequest(answersOwed: 2, closes: false))
        #expect(state.requestEndReceived() == .disarm)
        #expect(state.responseEndWritten() == .keep)
        #expect(state.phase == .answering(answersOwed: 1))
        #expect(state.responseEndWritten() == .arm)
        #expect(state.phase == .idle)
    }

    @Test func anUnreadableRequestClosesOnceAnswered() {
        var state = ClientTimeoutState()
        _ = state.requestHeadReceived(closes: false)
        state.requestUnreadable()
        #expect(state.requestHeadReceived(closes: false) == .keep)
        #expect(state.timerFired() == .close(cutRequest: false))
        #expect(state.responseEndWritten() == .close)
    }

    @Test func endsThatMatchNothingChangeNothing() {
        var state = ClientTimeoutState()
        #expect(state.requestEndReceived() == .keep)
        #expect(state.responseEndWritten() == .keep)
        #expect(state.requestBodyReceived(bytes: 5) == true)
        #expect(state.phase == .idle)
    }
}
