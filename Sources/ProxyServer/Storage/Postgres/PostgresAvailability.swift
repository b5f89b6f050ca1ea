import PostgresNIO
import Synchronization

/// Whether the database answered the last call. A failure that says the database is away (no
/// connection, a server shutting down) flips it; an SQL error does not. A `Mutex`-free atomic:
/// every request with a shared limit reads it.
final class PostgresAvailability: Sendable {
    private let up = Atomic<Bool>(true)

    var isUp: Bool { self.up.load(ordering: .relaxed) }

    func succeeded() { self.up.store(true, ordering: .relaxed) }

    func failed(_ error: any Error) {
        if Self.meansAway(error) { self.up.store(false, ordering: .relaxed) }
    }

    /// Connection failures, and the server's classes 08 (connection exception) and 57
    /// (operator intervention: shutdown, crash recovery).
    static func meansAway(_ error: any Error) -> Bool {
        if error is StoreAway { return true }
        guard let error = error as? PSQLError else { return !(error is CancellationError) }
        guard error.code == .server else { return error.code != .queryCancelled }
        let state = error.serverInfo?[.sqlState] ?? ""
        return state.hasPrefix("08") || state.hasPrefix("57")
    }

    /// Runs one call to the database: at once refused while the database is known to be away
    /// (unless `probing`), and abandoned after `deadline`, when the pool is still waiting for a
    /// connection to a server that does not answer. Keeps `isUp` up to date.
    func call<Result: Sendable>(
        deadline: Duration = PostgresAvailability.deadline, probing: Bool = false, _ body: @escaping @Sendable () async throws -> Result
    ) async throws -> Result {
        guard probing || self.isUp else { throw StoreAway() }
        do {
            let result = try await withThrowingTaskGroup(of: Result?.self) { group in
                group.addTask { try await body() }
                group.addTask {
                    try await Task.sleep(for: deadline)
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let result = first else { throw StoreAway() }
                return result
            }
            self.succeeded()
            return result
        } catch {
            self.failed(error)
            throw error
        }
    }

    static let deadline = Duration.seconds(3)

    /// The database is away (known, or no answer within the deadline).
    struct StoreAway: Error, CustomStringConvertible {
        var description: String { "the database does not answer" }
    }

    /// What to say of an error in a log line or a start-up message: the server's own message,
    /// never the query's parameters.
    static func describe(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return "\(error)" }
        if let message = error.serverInfo?[.message] { return "\(message) (SQLSTATE \(error.serverInfo?[.sqlState] ?? "?"))" }
        if let underlying = error.underlying { return "\(error.code): \(underlying)" }
        return "\(error.code)"
    }
}
