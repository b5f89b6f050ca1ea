import NIOCore

/// The whole-request time limit passed.
struct DeadlineExceeded: Error {}

/// The client went away while its request was being served.
struct ClientHungUp: Error {}

/// Runs `operation` in a child task and cancels it when `deadline` passes (throwing
/// `DeadlineExceeded`) or when `client` goes away (throwing `ClientHungUp`), whichever comes
/// first. Cancelling the operation aborts the upstream call it awaits.
func withRequestScope<Value: Sendable>(
    deadline: NIODeadline,
    client: ClientConnection?,
    _ operation: () async throws -> Value
) async throws -> Value {
    try await withoutActuallyEscaping(operation) { operation in
        let transfer = UnsafeTransfer(operation)
        return try await withThrowingTaskGroup(of: Value?.self) { group in
            group.addTask { try await transfer.value() }
            group.addTask {
                let remaining = deadline - NIODeadline.now()
                if remaining.nanoseconds > 0 {
                    try await Task.sleep(for: .nanoseconds(remaining.nanoseconds))
                }
                throw DeadlineExceeded()
            }
            if let client {
                group.addTask {
                    await client.waitUntilClosed()
                    if Task.isCancelled { return nil }
                    throw ClientHungUp()
                }
            }
            defer { group.cancelAll() }
            while true {
                // A nil is the hang-up watcher stopping because the operation finished first.
                if let value = try await group.next()! { return value }
            }
        }
    }
}

/// Hands a value to a child task that the parent awaits before going on, as Hummingbird's own
/// `consumeWithCancellationOnInboundClose` does with its operation.
struct UnsafeTransfer<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
