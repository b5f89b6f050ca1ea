import Foundation
import ProxyEngine
import Synchronization

/// Virtual keys by hash, read through from the state store and cached for `ttlSeconds` so a
/// request costs no database round-trip. Keys created or revoked through the admin API take
/// effect at once; through the CLI (another process), within `ttlSeconds`.
final class KeyDirectory: Sendable {
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
    }

    private let state: Mutex<State>

    convenience init(store: StateStore, ttlSeconds: Double = 30, capacity: Int = 100_000) {
        self.init(ttlSeconds: ttlSeconds, capacity: capacity) { try await store.key(hash: $0) }
    }

    init(ttlSeconds: Double, capacity: Int, fetch: @escaping @Sendable (String) async throws -> VirtualKey?) {
        self.fetch = fetch
        self.ttlSeconds = ttlSeconds
        self.state = Mutex(State(cache: BoundedMap(capacity: capacity, maximumAge: ttlSeconds)))
    }

    func key(hash: String, now: Double) async throws -> VirtualKey? {
        let (cached, generation) = self.state.withLock { state in (state.cache.value(hash, now: now), state.generation) }
        if let cached, now - cached.fetched < self.ttlSeconds { return cached.key }
        let key = try await self.fetch(hash)
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

    var cachedCount: Int { self.state.withLock { $0.cache.count } }
}
