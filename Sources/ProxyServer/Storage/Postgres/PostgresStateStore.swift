import Foundation
import Logging
import PostgresNIO
import ProxyEngine

/// The state store several gateway instances share: PostgreSQL through postgres-nio's
/// `PostgresClient` pool. Besides what SQLite keeps, it carries what the instances decide
/// together (`PostgresSharedLimits`) and tells every instance of a key changed on another
/// (LISTEN/NOTIFY on `proxy_events`).
final class PostgresStateStore: StateStore {
    static let eventsChannel = "proxy_events"

    let client: PostgresClient
    let logger: Logger
    let availability: PostgresAvailability
    let limits: PostgresSharedLimits
    /// Runs the client's pool from `open` to `close`: the CLI uses the store without a service group.
    private let clientTask: Task<Void, Never>

    var sharedLimits: (any SharedLimits)? { self.limits }

    var servesWhileAway: Bool { true }

    private init(client: PostgresClient, clientTask: Task<Void, Never>, logger: Logger) {
        self.client = client
        self.clientTask = clientTask
        self.logger = logger
        self.availability = PostgresAvailability()
        self.limits = PostgresSharedLimits(client: client, availability: self.availability, logger: logger)
    }

    /// Connects and migrates; refuses to start when the database does not answer within 15 s.
    static func open(url: String, logger: Logger) async throws(ConfigError) -> PostgresStateStore {
        let configuration = try PostgresURL.configuration(url)
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        let task = Task { await client.run() }
        let store = PostgresStateStore(client: client, clientTask: task, logger: logger)
        let migrations = Task { try await PostgresMigrations.apply(client, logger: logger) }
        let deadline = Task {
            try await Task.sleep(for: .seconds(15))
            migrations.cancel()
        }
        defer { deadline.cancel() }
        do {
            try await migrations.value
        } catch {
            task.cancel()
            let reason = migrations.isCancelled ? "no answer within 15 s" : PostgresAvailability.describe(error)
            throw ConfigError(key: "storage.url", "cannot open the state store at \(PostgresURL.redacted(url)): \(reason)")
        }
        return store
    }

    func close() async {
        await self.limits.giveBackAll()
        self.clientTask.cancel()
        await self.clientTask.value
    }

    /// Runs `body` on the pool, keeping `availability` up to date.
    @discardableResult
    func run<Result: Sendable>(_ body: @escaping @Sendable (PostgresClient) async throws -> Result) async throws -> Result {
        let client = self.client
        return try await self.availability.call { try await body(client) }
    }

    func isReachable() async -> Bool {
        let (client, logger) = (self.client, self.logger)
        let answered = try? await self.availability.call(deadline: .seconds(2), probing: true) {
            try await client.query("SELECT 1", logger: logger).decode(Int.self).reduce(0, +)
        }
        return answered == 1
    }

    /// LISTEN for the other instances' changes, renew this instance's slots and send its queued
    /// writes, until the task is cancelled.
    func runBackground(onEvent: @escaping @Sendable (StoreEvent) -> Void) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.listen(onEvent: onEvent) }
            group.addTask { await self.limits.runRenewals() }
            group.addTask { await self.limits.runWrites() }
            await group.waitForAll()
        }
    }

    private func listen(onEvent: @escaping @Sendable (StoreEvent) -> Void) async {
        while !Task.isCancelled {
            do {
                try await self.client.withConnection { connection in
                    try await connection.listen(on: Self.eventsChannel) { notifications in
                        // Changes made while this instance was not listening are unknown.
                        onEvent(.allKeysStale)
                        for try await notification in notifications {
                            switch StoreEvent(payload: notification.payload) {
                            case .slotsWanted(let credential): self.limits.giveBackSlots(of: credential)
                            case .some(let event): onEvent(event)
                            case nil: break
                            }
                        }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                self.availability.failed(error)
            }
            try? await Task.sleep(for: .milliseconds(500))
        }
    }

    /// Tells every instance (this one too) of a change.
    func notify(_ event: StoreEvent) async throws {
        let payload = event.payload
        try await self.run { client in
            try await client.query("SELECT pg_notify(\(Self.eventsChannel), \(payload))", logger: self.logger)
        }
    }
}
