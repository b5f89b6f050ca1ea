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
        guard let error = error as? PSQLError else { return !(error is CancellationError) }
        guard error.code == .server else { return error.code != .queryCancelled }
        let state = error.serverInfo?[.sqlState] ?? ""
        return state.hasPrefix("08") || state.hasPrefix("57")
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
