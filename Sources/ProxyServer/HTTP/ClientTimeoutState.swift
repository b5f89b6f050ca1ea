/// When a client connection is timed, as a pure state machine: `ClientTimeoutHandler` feeds it
/// the request and response parts it sees and does what it answers.
///
/// A connection is timed while it waits for a request (its head trickling in, or kept alive
/// idle) and while a request's body arrives; it is not timed while the gateway answers. An
/// answer may be written before its request has been read to the end (a 401 before the body),
/// and requests may be pipelined: the answers owed are counted, so neither leaves the
/// connection untimed for ever.
///
/// The rest of a body that was answered before it arrived is read and dropped here: a client that
/// writes its whole body before it reads (most do) then sees the 401 or 413 waiting for it,
/// instead of both sides waiting on each other until the timeout.
struct ClientTimeoutState: Equatable {
    enum Phase: Equatable {
        /// Waiting for a request's head: timed from the last answer (or the connection's start).
        case idle
        /// A request's head arrived and its body is arriving: timed from that head.
        /// `answersOwed` counts the requests, this one included, not yet answered to the end;
        /// `closes` is its `Connection: close`.
        case readingRequest(answersOwed: Int, closes: Bool)
        /// Every request read; `answersOwed` (at least one) still being written: untimed.
        case answering(answersOwed: Int)
        /// The client's bytes are not HTTP: the connection closes once its answer (a 400) is out.
        case unreadable
    }

    enum Action: Equatable {
        /// Start the timeout anew from now.
        case arm
        /// The request was answered and read to its end, and asked for the connection to close.
        case close
        /// Stop timing.
        case disarm
        /// Leave the timer as it is.
        case keep
    }

    /// What a timeout that fires does: close the connection, and say whether a request was cut
    /// off half-read (counted) or an idle connection was let go (not counted).
    enum Expiry: Equatable {
        case close(cutRequest: Bool)
        /// The timer was meant to be stopped: nothing to do.
        case ignore
    }

    private(set) var phase: Phase = .idle

    /// Bytes of answered bodies dropped so far; past `maximumDroppedBytes` the connection closes.
    private var droppedBytes = 0
    static let maximumDroppedBytes = 64 * 1024 * 1024

    mutating func requestHeadReceived(closes: Bool) -> Action {
        switch self.phase {
        case .idle: self.phase = .readingRequest(answersOwed: 1, closes: closes)
        case .readingRequest(let owed, _), .answering(let owed):
            self.phase = .readingRequest(answersOwed: owed + 1, closes: closes)
        case .unreadable:
            return .keep
        }
        return .arm
    }

    /// The parser failed: nothing after this point can be read as a request.
    mutating func requestUnreadable() {
        self.phase = .unreadable
    }

    /// Whether a part of a request body goes on to the route (`false`: it is dropped, its request
    /// already answered), or the connection must close (`nil`: too much was dropped).
    mutating func requestBodyReceived(bytes: Int) -> Bool? {
        guard case .readingRequest(0, _) = self.phase else { return true }
        self.droppedBytes += bytes
        return self.droppedBytes > Self.maximumDroppedBytes ? nil : false
    }

    /// Whether the rest of the body is to be read by the handler itself, the route being done.
    var dropsBody: Bool {
        if case .readingRequest(0, _) = self.phase { return true }
        return false
    }

    mutating func requestEndReceived() -> Action {
        guard case .readingRequest(let owed, let closes) = self.phase else { return .keep }
        if owed == 0 {
            // Answered before its end arrived: the connection now waits for the next request.
            self.phase = .idle
            self.droppedBytes = 0
            return closes ? .close : .arm
        }
        self.phase = .answering(answersOwed: owed)
        return .disarm
    }

    mutating func responseEndWritten() -> Action {
        switch self.phase {
        case .idle:
            return .keep
        case .readingRequest(let owed, let closes):
            // The body still has the time its head started.
            self.phase = .readingRequest(answersOwed: max(0, owed - 1), closes: closes)
            return .keep
        case .answering(let owed):
            if owed <= 1 {
                self.phase = .idle
                return .arm
            }
            self.phase = .answering(answersOwed: owed - 1)
            return .keep
        case .unreadable:
            return .close
        }
    }

    func timerFired() -> Expiry {
        switch self.phase {
        case .idle, .unreadable: .close(cutRequest: false)
        case .readingRequest: .close(cutRequest: true)
        case .answering: .ignore
        }
    }
}
