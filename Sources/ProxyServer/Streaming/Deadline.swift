import NIOCore

/// The whole-request time limit passed.
struct DeadlineExceeded: Error {}

/// Runs `operation`, cancelling it and throwing `DeadlineExceeded` when `deadline` passes first.
/// The operation runs in a child task; its cancellation aborts whatever upstream call it awaits.
func withDeadline<Value: Sendable>(
    _ deadline: NIODeadline,
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
            defer { group.cancelAll() }
            guard let value = try await group.next()! else { throw DeadlineExceeded() }
            return value
        }
    }
}

/// Hands a value to a child task that the parent awaits before going on, as Hummingbird's own
/// `consumeWithCancellationOnInboundClose` does with its operation.
struct UnsafeTransfer<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
