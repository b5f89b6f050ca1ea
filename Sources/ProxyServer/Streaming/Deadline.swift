import NIOCore
import Synchronization

/// The whole-request time limit passed.
struct DeadlineExceeded: Error {}

/// The client went away while its request was being served.
struct ClientHungUp: Error {}

/// Runs `operation` and cancels it when `deadline` passes (throwing `DeadlineExceeded`) or when
/// `client` goes away (throwing `ClientHungUp`), whichever comes first. Cancelling the operation
/// aborts the upstream call it awaits.
///
/// The operation runs in one task that this function awaits before it returns, and that is
/// cancelled with it: structured in effect. The deadline is an event-loop timer and the hang-up
/// a callback, not two more tasks racing the operation: a `Task.sleep` per request (a dispatch
/// timer, woken on another thread) and two child tasks measured as 4% of the gateway's CPU.
///
/// The timer runs on `eventLoop`, the request's own (nil: any of the shared group's).
func withRequestScope<Value: Sendable>(
    deadline: NIODeadline,
    client: ClientConnection?,
    on eventLoop: (any EventLoop)?,
    _ operation: () async throws -> Value
) async throws -> Value {
    try await withoutActuallyEscaping(operation) { operation in
        let transfer = UnsafeTransfer(operation)
        let task = Task { try await transfer.value() }
        let ending = ScopeEnding()
        let timer = LoopTimer(deadline: deadline, on: eventLoop) {
            if ending.end(.deadline) { task.cancel() }
        }
        let watch = client?.onClose {
            if ending.end(.clientHungUp) { task.cancel() }
        }
        defer {
            timer.cancel()
            if let client, let watch { client.removeOnClose(watch) }
        }
        let result = await withTaskCancellationHandler {
            await task.result
        } onCancel: {
            task.cancel()
        }
        // Whichever came first decides. An operation may turn its cancellation into a value (a
        // stream's pump reports a failed read as a failure): the reason it was cancelled wins.
        if ending.end(.finished) { return try result.get() }
        switch ending.reason {
        case .deadline: throw DeadlineExceeded()
        case .clientHungUp: throw ClientHungUp()
        case .finished, nil: return try result.get()
        }
    }
}

/// How a request scope ended: its operation finished, or it was cut short. Decided once, by
/// whichever comes first.
final class ScopeEnding: Sendable {
    enum Reason { case finished, deadline, clientHungUp }
    private let state = Mutex<Reason?>(nil)

    var reason: Reason? { self.state.withLock { $0 } }

    /// Whether `reason` is the first.
    func end(_ reason: Reason) -> Bool {
        self.state.withLock { state in
            guard state == nil else { return false }
            state = reason
            return true
        }
    }
}

/// Hands a value to a task that the caller awaits before going on, as Hummingbird's own
/// `consumeWithCancellationOnInboundClose` does with its operation.
struct UnsafeTransfer<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
