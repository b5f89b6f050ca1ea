import NIOCore
import NIOPosix

/// A time limit on an event loop: `fire` runs once on the loop when `deadline` passes, unless
/// cancelled first. A scheduled callback, not `scheduleTask`: the loop keeps the handler itself,
/// so arming one makes no promise, future or closure box. A streamed request arms three (its
/// connection's idle limit, its exchange's deadline and its stream's).
struct LoopTimer: Sendable {
    private let scheduled: NIOScheduledCallback?

    /// On `eventLoop`, the request's own (nil: any of the shared group's).
    init(deadline: NIODeadline, on eventLoop: (any EventLoop)?, fire: @escaping @Sendable () -> Void) {
        let loop = eventLoop ?? MultiThreadedEventLoopGroup.singleton.any()
        // Refused only by a loop that is shutting down, whose requests end with it.
        self.scheduled = try? loop.scheduleCallback(at: deadline, handler: Fire(fire: fire))
    }

    func cancel() {
        self.scheduled?.cancel()
    }

    private struct Fire: NIOScheduledCallbackHandler, Sendable {
        let fire: @Sendable () -> Void
        func handleScheduledCallback(eventLoop: some EventLoop) { self.fire() }
    }
}
