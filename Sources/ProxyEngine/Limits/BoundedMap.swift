/// A map that callers can fill with keys of their choosing (usernames that may not exist,
/// session ids, random API keys) and that stays bounded all the same: entries older than
/// `maximumAge` are dropped, and when `capacity` is reached the least recently touched quarter
/// goes. Keys longer than `maximumKeyBytes` are cut, so no single key can be megabytes.
///
/// A plain value type: its owner (an actor, or a `Mutex`) serialises access.
public struct BoundedMap<Value> {
    fileprivate struct Entry {
        var value: Value
        var touched: Double
    }

    public let capacity: Int
    public let maximumAge: Double
    public static var maximumKeyBytes: Int { 256 }
    private var entries: [String: Entry] = [:]

    public init(capacity: Int, maximumAge: Double) {
        self.capacity = max(4, capacity)
        self.maximumAge = maximumAge
    }

    public var count: Int { self.entries.count }

    /// The value under `key`, unless it is older than `maximumAge`; reading it touches it.
    public mutating func value(_ key: String, now: Double) -> Value? {
        let key = Self.bounded(key)
        guard let entry = self.entries[key] else { return nil }
        guard now - entry.touched < self.maximumAge else {
            self.entries[key] = nil
            return nil
        }
        self.entries[key]!.touched = now
        return entry.value
    }

    /// Stores `value` under `key` (nil removes it), making room first when full.
    public mutating func set(_ key: String, _ value: Value?, now: Double) {
        let key = Self.bounded(key)
        guard let value else {
            self.entries[key] = nil
            return
        }
        if self.entries[key] == nil && self.entries.count >= self.capacity { self.makeRoom(now: now) }
        self.entries[key] = Entry(value: value, touched: now)
    }

    /// Changes the value under `key` in place (starting from `initial` when absent or expired).
    public mutating func update<Result>(_ key: String, now: Double, initial: Value, _ change: (inout Value) -> Result) -> Result {
        var value = self.value(key, now: now) ?? initial
        let result = change(&value)
        self.set(key, value, now: now)
        return result
    }

    /// Every entry with the time it was last touched: what a successor map takes over.
    public var entriesWithTimes: [(key: String, value: Value, touched: Double)] {
        self.entries.map { (key: $0.key, value: $0.value.value, touched: $0.value.touched) }
    }

    private mutating func makeRoom(now: Double) {
        self.entries = self.entries.filter { now - $0.value.touched < self.maximumAge }
        guard self.entries.count >= self.capacity else { return }
        // Still full of live entries: the least recently touched quarter goes. Sorting costs
        // n log n once per capacity / 4 insertions.
        let oldest = self.entries.sorted { $0.value.touched < $1.value.touched }.prefix(self.capacity / 4)
        for (key, _) in oldest { self.entries[key] = nil }
    }

    private static func bounded(_ key: String) -> String {
        key.utf8.count <= Self.maximumKeyBytes ? key : String(decoding: key.utf8.prefix(Self.maximumKeyBytes), as: UTF8.self)
    }
}
extension BoundedMap: Sendable where Value: Sendable {}
extension BoundedMap.Entry: Sendable where Value: Sendable {}
