import Foundation
import ProxyEngine
import Synchronization

/// Virtual keys by hash, read through from the state store and cached for `ttlSeconds` so a
/// request costs no database round-trip. Keys created or revoked through the admin API take
/// effect at once; through the CLI (another process), within `ttlSeconds`.
final class KeyDirectory: Sendable {
    let store: StateStore
    let ttlSeconds: Double
    /// Misses are cached too, so random keys cannot hammer the database; the map is bounded.
    private let cache = Mutex<[String: (key: VirtualKey?, fetched: Double)]>([:])
    private static let maximumEntries = 100_000

    init(store: StateStore, ttlSeconds: Double = 30) {
        self.store = store
        self.ttlSeconds = ttlSeconds
    }

    func key(hash: String, now: Double) async throws -> VirtualKey? {
        if let entry = self.cache.withLock({ $0[hash] }), now - entry.fetched < self.ttlSeconds {
            return entry.key
        }
        let key = try await self.store.key(hash: hash)
        self.remember(hash: hash, key: key, now: now)
        return key
    }

    func remember(hash: String, key: VirtualKey?, now: Double) {
        self.cache.withLock { cache in
            if cache.count >= Self.maximumEntries { cache.removeAll(keepingCapacity: true) }
            cache[hash] = (key, now)
        }
    }
}
