/// A condition that did not hold within its deadline.
public struct ConditionTimedOut: Error, CustomStringConvertible {
    public let condition: String
    public let timeout: Duration
    public var description: String { "'\(self.condition)' did not hold within \(self.timeout)" }
}

/// Returns once `condition` holds, checking it every few milliseconds; throws
/// `ConditionTimedOut` past `timeout`, and `CancellationError` when the caller is cancelled (a
/// test's time limit). For state that offers no signal to await: the poll sleeps, so it never
/// holds one of the machine's two threads, and it always ends.
public func eventually(
    _ condition: String,
    within timeout: Duration = .seconds(30),
    _ holds: @Sendable () async throws -> Bool
) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now.advanced(by: timeout)
    while try await !holds() {
        guard clock.now < deadline else { throw ConditionTimedOut(condition: condition, timeout: timeout) }
        try await Task.sleep(for: .milliseconds(2))
    }
}
