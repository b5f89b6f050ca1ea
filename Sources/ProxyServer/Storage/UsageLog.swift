import Logging
import ProxyEngine
import Synchronization

/// Usage records waiting to be written in a batch by the flusher: never on the request path.
/// Appended by every request, so a `Mutex`-guarded array rather than an actor hop; bounded, so a
/// store that stays down cannot grow memory without limit (the oldest records go first).
final class UsageLog: Sendable {
    static let maximumPending = 200_000
    private let pending = Mutex<[UsageRecord]>([])

    func append(_ record: UsageRecord) {
        self.pending.withLock { pending in
            if pending.count >= Self.maximumPending { pending.removeFirst(pending.count / 10) }
            pending.append(record)
        }
    }

    func take() -> [UsageRecord] {
        self.pending.withLock { pending in
            defer { pending.removeAll(keepingCapacity: true) }
            return pending
        }
    }

    func restore(_ records: [UsageRecord]) {
        self.pending.withLock { $0.insert(contentsOf: records, at: 0) }
    }
}
