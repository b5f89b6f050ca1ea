import NIOCore

/// A request scope without a task of its own, for a stream's pump: when the deadline passes or
/// the client goes, whichever comes first, `cut` runs once (it closes the upstream body, which
/// ends the pump's read), and `reason` says which.
///
/// `withRequestScope` runs its operation in a task it can cancel; for a stream that is a second
/// task per stream (its frames held for the stream's whole life) where closing the upstream
/// connection ends the read just as well.
final class RequestWatch: Sendable {
    private let ending = ScopeEnding()
    private let timer: LoopTimer
    private let client: ClientConnection?
    private let watch: Int?

    /// The timer runs on `eventLoop`, the request's own (nil: any of the shared group's).
    init(deadline: NIODeadline, client: ClientConnection?, on eventLoop: (any EventLoop)?, cut: @escaping @Sendable () -> Void) {
        let ending = self.ending
        self.timer = LoopTimer(deadline: deadline, on: eventLoop) {
            if ending.end(.deadline) { cut() }
        }
        self.client = client
        self.watch = client?.onClose {
            if ending.end(.clientHungUp) { cut() }
        }
    }

    /// Why the stream was cut, if it was.
    var reason: ScopeEnding.Reason? {
        let reason = self.ending.reason
        return reason == .finished ? nil : reason
    }

    /// The error that stands for the cut, if there was one.
    var cutError: (any Error)? {
        switch self.reason {
        case .deadline: DeadlineExceeded()
        case .clientHungUp: ClientHungUp()
        case .finished, nil: nil
        }
    }

    /// The stream is over: nothing cuts it any more.
    func end() {
        _ = self.ending.end(.finished)
        self.timer.cancel()
        if let client = self.client, let watch = self.watch { client.removeOnClose(watch) }
    }
}
