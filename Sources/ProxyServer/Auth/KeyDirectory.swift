import Foundation
import ProxyEngine
import Synchronization

/// Virtual keys by hash, read through from the state store and cached for `ttlSeconds` so a
/// request costs no database round-trip. Keys created or revoked through the admin API take
/// effect at once; through another instance sharing a PostgreSQL store, when its notification
/// arrives (`invalidate`); through the CLI on SQLite, within `ttlSeconds`.
///
/// While the store does not answer, a key already cached is served as last read, however old:
/// callers the gateway knows keep working through a database outage.
final class KeyDirectory: Sendable {
    /// How long an entry stays for use while the store is away.
    static let keptWhileAway = 86_400.0
    let ttlSeconds: Double
    /// Reads a key from the state store by hash.
    private let fetch: @Sendable (String) async throws -> VirtualKey?

    private struct State {
        /// Misses are cached too, so random keys cannot hammer the database. Bounded: a flood
        /// of random keys pushes out the least recently used entries, not every valid key.
        var cache: BoundedMap<(key: VirtualKey?, fetched: Double)>
        /// Bumped by every change made through the API: a read that started before a change
        /// must not put what it read back in the cache.
        var generation = 0
        /// Entries read before this time are stale (another instance changed keys while this
        /// one was not listening).
        var staleBefore = -Double.infinity
    }

    private let state: Mutex<State>

    convenience init(store: any StateStore, ttlSeconds: Double = 30, capacity: Int = 100_000) {
        self.init(ttlSeconds: ttlSeconds, capacity: capacity) { try await store.key(hash: $0) }
    }

    init(ttlSeconds: Double, capacity: Int, fetch: @escaping @Sendable (String) async throws -> VirtualKey?) {
        self.fetch = fetch
        self.ttlSeconds = ttlSeconds
        self.state = Mutex(State(cache: BoundedMap(capacity: capacity, maximumAge: max(ttlSeconds, Self.keptWhileAway))))
    }

    func key(hash: String, now: Double) async throws -> VirtualKey? {
        let (cached, generation, staleBefore) = self.state.withLock { state in
            (state.cache.value(hash, now: now), state.generation, state.staleBefore)
        }
        if let cached, now - cached.fetched < self.ttlSeconds, cached.fetched >= staleBefore { return cached.key }
        let key: VirtualKey?
        do {
            key = try await self.fetch(hash)
        } catch {
            if let cached { return cached.key }
            throw GatewayError.storeUnavailable("The state store is unreachable and this key is not known here yet; try again shortly.")
        }
        self.state.withLock { state in
            guard state.generation == generation else { return }
            state.cache.set(hash, (key, now), now: now)
        }
        return key
    }

    /// A key changed through the API (created, revoked, updated): cached as it is now.
    func changed(hash: String, key: VirtualKey?, now: Double) {
        self.state.withLock { state in
            state.generation += 1
            state.cache.set(hash, (key, now), now: now)
        }
    }

    /// Another instance changed this key: the next request reads it again (and, should the
    /// store be away by then, still finds it as last read).
    func invalidate(hash: String, now: Double) {
        self.state.withLock { state in
            state.generation += 1
            if let cached = state.cache.value(hash, now: now) { state.cache.set(hash, (cached.key, -.infinity), now: now) }
        }
    }

    /// Every cached key is read again before its next use.
    func invalidateAll(now: Double) {
        self.state.withLock { state in
            state.generation += 1
            state.staleBefore = now
        }
    }

    var cachedCount: Int { self.state.withLock { $0.cache.count } }
}
